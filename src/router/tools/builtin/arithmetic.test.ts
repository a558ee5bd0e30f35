import { describe, expect, it } from 'vitest';
import { evaluate } from './arithmetic.ts';

describe('evaluate', () => {
  it.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['2 ^ 3 ^ 2', 512],
    ['-2 ^ 2', -4],
    ['10 % 4 - -1', 3],
    ['sqrt(16) + max(1, 5, 3)', 9],
    ['round(pi * 100) / 100', 3.14],
    ['.5 + 1.5e1', 15.5],
    ['7 / 2', 3.5],
  ])('%s = %d', (expression, value) => {
    expect(evaluate(expression)).toBeCloseTo(value, 10);
  });

  it.each([
    ['', /empty/],
    ['1 +', /ends too early/],
    ['(1 + 2', /expected "\)"/],
    ['foo(1)', /unknown name "foo"/],
    ['1 2', /unexpected "2"/],
    ['process.exit()', /unknown name "process"/],
  ])('refuses %j', (expression, message) => {
    expect(() => evaluate(expression)).toThrow(message);
  });
});
