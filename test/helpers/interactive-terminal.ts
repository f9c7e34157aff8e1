/**
 * Imported first by tests of interactive terminal rendering: Ink renders only the last frame when it
 * believes it runs in CI (the CI variable), which is exactly the behaviour those tests must not see.
 * Node's test runner gives each test file its own process, so this affects that file only.
 */
process.env.CI = "false";
delete process.env.CONTINUOUS_INTEGRATION;
