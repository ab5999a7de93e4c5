import { CondaError } from '../errors.ts';

const BUILD_NUMBER_PATTERN = /^(==|!=|>=|<=|>|<|=)?\s*(\d+)$/;

type Operator = '==' | '!=' | '>=' | '<=' | '>' | '<';

/** A `build_number` constraint from a MatchSpec bracket: `3`, `>=3`, `!=0`, `<10`. */
export class BuildNumberConstraint {
  readonly operator: Operator;
  readonly value: number;

  constructor(operator: Operator, value: number) {
    this.operator = operator;
    this.value = value;
  }

  matches(buildNumber: number): boolean {
    switch (this.operator) {
      case '==':
        return buildNumber === this.value;
      case '!=':
        return buildNumber !== this.value;
      case '>=':
        return buildNumber >= this.value;
      case '<=':
        return buildNumber <= this.value;
      case '>':
        return buildNumber > this.value;
      case '<':
        return buildNumber < this.value;
    }
  }

  toString(): string {
    return this.operator === '==' ? String(this.value) : `${this.operator}${this.value}`;
  }
}

/** Parses a build_number constraint; `spec` is the whole MatchSpec, named in the error. */
export function parseBuildNumber(text: string, spec: string): BuildNumberConstraint {
  const match = BUILD_NUMBER_PATTERN.exec(text.trim());
  if (!match) {
    throw new CondaError(
      'INVALID_MATCHSPEC',
      `invalid MatchSpec '${spec}': build_number '${text}' is not a number with an optional operator (expected e.g. 3, >=3, !=0)`,
    );
  }
  const operator = (match[1] === undefined || match[1] === '=' ? '==' : match[1]) as Operator;
  return new BuildNumberConstraint(operator, Number(match[2]));
}
