import { test } from "node:test";
import assert from "node:assert/strict";
import { greet } from "../src/greet.js";

test("greets a person by name", () => {
  assert.equal(greet("Ada"), "Hello, Ada!");
});

test("greets a stranger when the name is blank", () => {
  assert.equal(greet("   "), "Hello, stranger!");
});

test("ignores spaces around the name", () => {
  assert.equal(greet("  Ada  "), "Hello, Ada!");
});
