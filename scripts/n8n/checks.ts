/** A scenario's checks: each one printed as `✓ what` or `✗ what: expected …, got …` under the scenario's heading. */

export class Checks {
  readonly failures: string[] = [];
  passed = 0;

  constructor(private readonly indent = '    ') {}

  /** Passes when `condition` is truthy; returns it as a boolean, so a check can guard the ones after it. */
  ok(condition: unknown, what: string): boolean {
    if (condition) this.passed++;
    else this.failures.push(what);
    console.log(`${this.indent}${condition ? '✓' : '✗'} ${what}`);
    return Boolean(condition);
  }

  /** Passes when `actual === expected`; a failure shows both as JSON. */
  equal(actual: unknown, expected: unknown, what: string): boolean {
    return actual === expected
      ? this.ok(true, `${what}: ${short(actual)}`)
      : this.ok(false, `${what}: expected ${short(expected)}, got ${short(actual)}`);
  }
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
