/**
 * Evaluates an arithmetic expression without `eval`: numbers, + - * / % ^ (power, right
 * associative), parentheses, unary signs, the constants pi and e, and a few functions.
 * Throws an Error whose message says what is wrong and where.
 */
const functions: Record<string, (...values: number[]) => number> = {
  sqrt: Math.sqrt,
  abs: Math.abs,
  round: Math.round,
  floor: Math.floor,
  ceil: Math.ceil,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  ln: Math.log,
  log: Math.log10,
  exp: Math.exp,
  min: Math.min,
  max: Math.max,
};
const constants: Record<string, number> = { pi: Math.PI, e: Math.E };
const tokenPattern = /\s*(?:(\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?)|([a-z]+)|(\S))/giy;

type Token =
  | { kind: 'number'; value: number }
  | { kind: 'name'; value: string }
  | { kind: 'op'; value: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  tokenPattern.lastIndex = 0;
  let match: RegExpExecArray | null;
  while (tokenPattern.lastIndex < expression.length && (match = tokenPattern.exec(expression))) {
    if (match[1] !== undefined) tokens.push({ kind: 'number', value: Number(match[1]) });
    else if (match[2] !== undefined) tokens.push({ kind: 'name', value: match[2].toLowerCase() });
    else if (match[3] !== undefined) tokens.push({ kind: 'op', value: match[3] });
  }
  return tokens;
}

export function evaluate(expression: string): number {
  const tokens = tokenize(expression);
  let position = 0;
  const peek = (): Token | undefined => tokens[position];
  const isOp = (value: string): boolean => peek()?.kind === 'op' && peek()?.value === value;
  const expect = (value: string): void => {
    if (!isOp(value)) throw new Error(`expected "${value}" at token ${position + 1}`);
    position += 1;
  };

  const sum = (): number => {
    let value = product();
    while (isOp('+') || isOp('-'))
      value = tokens[position++]?.value === '+' ? value + product() : value - product();
    return value;
  };
  const product = (): number => {
    let value = unary();
    while (isOp('*') || isOp('/') || isOp('%')) {
      const op = tokens[position++]?.value;
      const right = unary();
      value = op === '*' ? value * right : op === '/' ? value / right : value % right;
    }
    return value;
  };
  const unary = (): number => {
    if (isOp('-')) return (position++, -unary());
    if (isOp('+')) return (position++, unary());
    return power();
  };
  const power = (): number => {
    const base = atom();
    if (isOp('^')) return (position++, base ** unary());
    return base;
  };
  const atom = (): number => {
    const token = tokens[position++];
    if (!token) throw new Error('the expression ends too early');
    if (token.kind === 'number') return token.value;
    if (token.kind === 'op' && token.value === '(') {
      const value = sum();
      expect(')');
      return value;
    }
    if (token.kind === 'name') {
      if (token.value in constants) return constants[token.value] as number;
      const fn = functions[token.value];
      if (!fn) throw new Error(`unknown name "${token.value}"`);
      expect('(');
      const args = [sum()];
      while (isOp(',')) args.push((position++, sum()));
      expect(')');
      return fn(...args);
    }
    throw new Error(`unexpected "${token.value}" at token ${position}`);
  };

  if (tokens.length === 0) throw new Error('the expression is empty');
  const result = sum();
  if (position < tokens.length)
    throw new Error(`unexpected "${String(tokens[position]?.value)}" at token ${position + 1}`);
  return result;
}
