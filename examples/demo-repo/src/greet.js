// Builds the greeting shown on the welcome page.
export function greet(name) {
  const trimmed = name.trim();
  if (trimmed.length === 0) return "Hello, stranger!";
  return "Hello, " + name + "!";
}
