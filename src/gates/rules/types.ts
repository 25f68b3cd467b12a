// What a blocking rule reports: a stable code, a message saying what to do instead, the paths concerned.
export interface Violation {
  code: string;
  message: string;
  paths?: string[];
}
