import { describe, expect, it } from 'vitest';
import { windowForDate } from '../window/window.ts';
import { TemplateError, renderSql, renderSqlBound, renderText, sqlStringLiteral, templateVars, type TemplateVars } from './render.ts';

const vars: TemplateVars = templateVars({
  window: windowForDate('2024-01-01', { period: 'Daily', timeZone: 'Asia/Tokyo' }),
  jobName: 'orders-vs-settlements',
  jobNamespace: 'finance',
  runName: 'orders-vs-settlements-28434240',
});

const KNOWN =
  'known variables: window.start, window.end, window.startDate, window.endDate, job.name, job.namespace, run.name';

function templateError(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TemplateError);
    return err as TemplateError;
  }
  throw new Error('expected a TemplateError');
}

describe('templateVars', () => {
  it('exposes exactly the documented variables', () => {
    expect(vars).toEqual({
      'window.start': '2024-01-01T00:00:00+09:00',
      'window.end': '2024-01-02T00:00:00+09:00',
      'window.startDate': '2024-01-01',
      'window.endDate': '2024-01-02',
      'job.name': 'orders-vs-settlements',
      'job.namespace': 'finance',
      'run.name': 'orders-vs-settlements-28434240',
    });
  });

  it('is frozen', () => {
    expect(Object.isFrozen(vars)).toBe(true);
  });
});

describe('renderText', () => {
  it('substitutes with and without spaces', () => {
    expect(renderText('s3://ledger/orders/dt={{ window.startDate }}/*.parquet', vars, 'spec.left.uri')).toBe(
      's3://ledger/orders/dt=2024-01-01/*.parquet',
    );
    expect(renderText('{{window.startDate}}_{{  window.endDate  }}', vars, 'f')).toBe('2024-01-01_2024-01-02');
    expect(renderText('{{\twindow.startDate\n}}', vars, 'f')).toBe('2024-01-01');
  });

  it('substitutes every variable, repeatedly', () => {
    expect(
      renderText(
        's3://r/{{ job.namespace }}/{{ job.name }}/{{ run.name }}/{{ window.start }}..{{ window.end }}/{{ job.name }}',
        vars,
        'spec.output.uri',
      ),
    ).toBe(
      's3://r/finance/orders-vs-settlements/orders-vs-settlements-28434240/2024-01-01T00:00:00+09:00..2024-01-02T00:00:00+09:00/orders-vs-settlements',
    );
  });

  it('inserts values as text, without quoting or encoding', () => {
    const v = { 'job.name': "O'Brien & co" };
    expect(renderText('a/{{ job.name }}/b', v, 'f')).toBe("a/O'Brien & co/b");
  });

  it('leaves text without placeholders alone, including single braces and }}', () => {
    expect(renderText('', vars, 'f')).toBe('');
    expect(renderText('s3://b/{a,b}/x.csv', vars, 'f')).toBe('s3://b/{a,b}/x.csv');
    expect(renderText('s3://b/{a,{b,c}}/x.csv', vars, 'f')).toBe('s3://b/{a,{b,c}}/x.csv');
  });

  it('does not re-expand a value containing {{', () => {
    const v = { 'job.name': '{{ window.startDate }}', 'window.startDate': 'X' };
    expect(renderText('{{ job.name }}/{{ window.startDate }}', v, 'f')).toBe('{{ window.startDate }}/X');
  });

  it('an unknown variable is an error naming the field and the known variables', () => {
    const err = templateError(() => renderText('s3://b/{{ window.day }}/', vars, 'spec.left.uri'));
    expect(err.field).toBe('spec.left.uri');
    expect(err.message).toBe(`spec.left.uri: unknown template variable "window.day" at line 1, column 8; ${KNOWN}`);
  });

  it('does not resolve names through the prototype', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(templateError(() => renderText(`{{ ${name} }}`, vars, 'f')).message).toContain(
        `unknown template variable "${name}"`,
      );
    }
  });

  it('an unknown variable with no variables at all', () => {
    expect(templateError(() => renderText('{{ a }}', {}, 'f')).message).toBe(
      'f: unknown template variable "a" at line 1, column 1; known variables: ',
    );
  });

  it('unclosed placeholder', () => {
    const err = templateError(() => renderText('s3://b/{{ window.start', vars, 'spec.right.uri'));
    expect(err.field).toBe('spec.right.uri');
    expect(err.message).toBe(
      'spec.right.uri: unclosed "{{" at line 1, column 8; close it with "}}", e.g. {{ window.startDate }}',
    );
  });

  it('unclosed placeholder followed by a valid one reports the first', () => {
    expect(templateError(() => renderText('{{ window.start/{{ job.name }}', vars, 'f')).message).toBe(
      'f: unclosed "{{" at line 1, column 1; close it with "}}", e.g. {{ window.startDate }}',
    );
  });

  it('empty placeholder', () => {
    expect(templateError(() => renderText('x{{}}', vars, 'f')).message).toBe(
      'f: empty placeholder "{{}}" at line 1, column 2; put a variable name inside, e.g. {{ window.startDate }}',
    );
    expect(templateError(() => renderText('{{   }}', vars, 'f')).message).toContain('empty placeholder "{{   }}"');
  });

  it.each([
    ['{{ window start }}'],
    ['{{ window.startDate | upper }}'],
    ['{{ window. }}'],
    ['{{ .start }}'],
    ['{{ 1abc }}'],
    ['{{ window-start }}'],
    ['{{{ window.start }}}'],
    ["{{ 'window.start' }}"],
  ])('invalid placeholder %s', (template) => {
    expect(templateError(() => renderText(template, vars, 'f')).message).toMatch(
      /^f: invalid placeholder ".*" at line 1, column 1; a placeholder holds exactly one variable name, e.g. \{\{ window.startDate \}\}$/,
    );
  });

  it('truncates a long invalid placeholder in the message', () => {
    const message = templateError(() => renderText(`{{ ${'a '.repeat(100)}}}`, vars, 'f')).message;
    expect(message).toContain('"{{ a a a');
    expect(message).toContain('..." at line 1');
    expect(message.length).toBeLessThan(250);
  });
});

describe('sqlStringLiteral', () => {
  it.each([
    ['', "''"],
    ['2024-01-01', "'2024-01-01'"],
    ["O'Brien", "'O''Brien'"],
    ["''", "''''''"],
    ["'; DROP TABLE x; --", "'''; DROP TABLE x; --'"],
    ['back\\slash', "'back\\slash'"],
    ['line\nbreak', "'line\nbreak'"],
    ['{{ job.name }}', "'{{ job.name }}'"],
  ])('%j -> %s', (value, literal) => {
    expect(sqlStringLiteral(value)).toBe(literal);
  });
});

describe('renderSql', () => {
  const field = 'spec.summaries[0].sql';

  it('inserts values as quoted literals', () => {
    expect(
      renderSql(
        'SELECT count(*) FROM result_table WHERE d >= {{ window.startDate }} AND d < {{window.endDate}}',
        vars,
        field,
      ),
    ).toBe("SELECT count(*) FROM result_table WHERE d >= '2024-01-01' AND d < '2024-01-02'");
    expect(renderSql('SELECT {{ window.start }}::TIMESTAMPTZ', vars, field)).toBe(
      "SELECT '2024-01-01T00:00:00+09:00'::TIMESTAMPTZ",
    );
  });

  it('escapes a value containing a quote', () => {
    const v = { 'job.name': "O'Brien" };
    expect(renderSql('SELECT {{ job.name }} AS j', v, field)).toBe("SELECT 'O''Brien' AS j");
  });

  it('an injection attempt stays inside the literal', () => {
    const v = { 'job.name': "x' OR '1'='1" };
    expect(renderSql('WHERE j = {{ job.name }}', v, field)).toBe("WHERE j = 'x'' OR ''1''=''1'");
  });

  it('does not re-expand a value containing {{', () => {
    const v = { 'job.name': "{{ run.name }}'", 'run.name': 'r' };
    expect(renderSql('SELECT {{ job.name }}, {{ run.name }}', v, field)).toBe("SELECT '{{ run.name }}''', 'r'");
  });

  it('leaves SQL without placeholders unchanged', () => {
    const sql = `SELECT {'a': {'b': 1}} AS s, "col""x", E'it\\'s', $$ {{ $$ -- c\n/* {{ */ 'x'`;
    expect(renderSql(sql, vars, field)).toBe(sql);
  });

  it('a placeholder inside single quotes is an error telling to remove the quotes', () => {
    const err = templateError(() => renderSql("WHERE d = '{{ window.startDate }}'", vars, field));
    expect(err.field).toBe(field);
    expect(err.message).toBe(
      `${field}: placeholder "{{ window.startDate }}" at line 1, column 12 is inside a quoted string; ` +
        'remove the quotes around it, because values are inserted as quoted SQL string literals ' +
        "(write d = {{ window.startDate }}, or 'dt=' || {{ window.startDate }} to build a longer string)",
    );
  });

  it.each([
    ["WHERE path LIKE 'dt={{ window.startDate }}%'"],
    ["WHERE d = '{{window.startDate}}'"],
    ["WHERE d = 'it''s {{ window.startDate }}'"],
    ["WHERE d = '{{ window.startDate }}"], // unterminated string
    ["WHERE d = '{{ window.start'"], // malformed and quoted: the quotes are the first problem
    ["WHERE d = '{{ nope }}'"], // unknown and quoted
    ["WHERE d = '{{}}'"],
    ["WHERE d = E'\\'{{ window.startDate }}'"],
    ["WHERE d = e'{{ window.startDate }}'"],
    ['WHERE d = $${{ window.startDate }}$$'],
    ['WHERE d = $tag${{ window.startDate }}$tag$'],
  ])('placeholder inside a string: %s', (sql) => {
    expect(templateError(() => renderSql(sql, vars, field)).message).toContain('is inside a quoted string; remove the quotes');
  });

  it('a placeholder inside a double-quoted identifier is an error', () => {
    expect(templateError(() => renderSql('SELECT "{{ job.name }}" FROM t', vars, field)).message).toContain(
      'is inside a double-quoted identifier; remove the quotes',
    );
  });

  it('reports the line and column in multi-line SQL', () => {
    const sql = "SELECT 1\nFROM t\nWHERE d = '{{ window.startDate }}'";
    expect(templateError(() => renderSql(sql, vars, field)).message).toContain('at line 3, column 12');
    expect(templateError(() => renderSql('SELECT 1\n  , {{ x }}', vars, field)).message).toContain(
      'unknown template variable "x" at line 2, column 5',
    );
  });

  it('quotes are tracked correctly: a placeholder after a closed string is substituted', () => {
    expect(renderSql("SELECT 'a''b', {{ job.name }}, 'c'", vars, field)).toBe(
      "SELECT 'a''b', 'orders-vs-settlements', 'c'",
    );
    expect(renderSql('SELECT "a""b", {{ job.name }}', vars, field)).toBe(
      `SELECT "a""b", 'orders-vs-settlements'`,
    );
    expect(renderSql("SELECT E'a\\'b', {{ job.name }}", vars, field)).toBe(
      "SELECT E'a\\'b', 'orders-vs-settlements'",
    );
    expect(renderSql("SELECT $q$it's$q$, {{ job.name }}", vars, field)).toBe(
      "SELECT $q$it's$q$, 'orders-vs-settlements'",
    );
  });

  it('an identifier ending in e before a string is not an E-string', () => {
    // `name'` is not an escape string: the backslash does not escape the closing quote.
    expect(renderSql("SELECT some_name'\\', {{ job.name }}", vars, field)).toBe(
      "SELECT some_name'\\', 'orders-vs-settlements'",
    );
  });

  it('$1 parameters are not dollar quotes', () => {
    expect(renderSql('SELECT $1, {{ job.name }}', vars, field)).toBe("SELECT $1, 'orders-vs-settlements'");
  });

  it('single braces and }} in DuckDB struct literals are plain SQL', () => {
    expect(renderSql("SELECT {'k': {'d': {{ window.startDate }}}}", vars, field)).toBe(
      "SELECT {'k': {'d': '2024-01-01'}}",
    );
  });

  it('{{ that is not a placeholder attempt is allowed inside strings', () => {
    const sql = `SELECT '{{"a": 1}}' AS j, {{ job.name }}`;
    expect(renderSql(sql, vars, field)).toBe(`SELECT '{{"a": 1}}' AS j, 'orders-vs-settlements'`);
  });

  describe('comments', () => {
    it('placeholders in comments are left as written', () => {
      const sql = '-- d = {{ window.startDate }}\nSELECT {{ window.startDate }} /* was {{ window.endDate }} */';
      expect(renderSql(sql, vars, field)).toBe(
        "-- d = {{ window.startDate }}\nSELECT '2024-01-01' /* was {{ window.endDate }} */",
      );
    });

    it('but an unknown variable in a comment is still an error', () => {
      expect(templateError(() => renderSql('SELECT 1 -- {{ window.day }}', vars, field)).message).toBe(
        `${field}: unknown template variable "window.day" at line 1, column 13; ${KNOWN}`,
      );
    });

    it('a placeholder cannot be closed after its line comment ends', () => {
      expect(
        templateError(() => renderSql("SELECT 1 -- {{ window.start\n, {'a': {'b': 1}}", vars, field)).message,
      ).toContain('unclosed "{{" at line 1, column 13');
    });

    it('quotes inside comments do not start strings', () => {
      expect(renderSql("-- don't\nSELECT {{ job.name }}", vars, field)).toBe(
        "-- don't\nSELECT 'orders-vs-settlements'",
      );
      expect(renderSql("/* it's /* nested */ still */ SELECT {{ job.name }}", vars, field)).toBe(
        "/* it's /* nested */ still */ SELECT 'orders-vs-settlements'",
      );
    });

    it('comment markers inside strings do not start comments', () => {
      expect(renderSql("SELECT '--', {{ job.name }}, '/*'", vars, field)).toBe(
        "SELECT '--', 'orders-vs-settlements', '/*'",
      );
    });
  });

  it('malformed placeholders outside quotes', () => {
    expect(templateError(() => renderSql('SELECT {{ window.start', vars, field)).message).toBe(
      `${field}: unclosed "{{" at line 1, column 8; close it with "}}", e.g. {{ window.startDate }}`,
    );
    expect(templateError(() => renderSql('SELECT {{}}', vars, field)).message).toContain(
      `${field}: empty placeholder "{{}}" at line 1, column 8`,
    );
    expect(templateError(() => renderSql('SELECT {{ a b }}', vars, field)).message).toContain(
      `${field}: invalid placeholder "{{ a b }}"`,
    );
  });

  it('an unknown variable is an error, never an empty string', () => {
    expect(templateError(() => renderSql('SELECT {{ window.day }}', vars, field)).message).toBe(
      `${field}: unknown template variable "window.day" at line 1, column 8; ${KNOWN}`,
    );
  });
});

describe('TemplateError', () => {
  it('is an Error with a name and the field', () => {
    const err = new TemplateError('spec.left.uri: boom', 'spec.left.uri');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('TemplateError');
    expect(err.message).toBe('spec.left.uri: boom');
    expect(err.field).toBe('spec.left.uri');
  });
});

describe('renderSqlBound', () => {
  const vars = templateVars({
    window: { start: '2024-01-01T00:00:00+09:00', end: '2024-01-02T00:00:00+09:00', startDate: '2024-01-01', endDate: '2024-01-02' } as never,
    jobName: "o'brien",
    jobNamespace: 'ns',
    runName: 'r',
  });
  it('turns every value into a bind parameter, never text', () => {
    const q = 'SELECT * FROM t WHERE ts >= {{ window.start }} AND ts < {{ window.end }} AND job = {{ job.name }}';
    expect(renderSqlBound(q, vars, 'f', 'dollar')).toEqual({ sql: 'SELECT * FROM t WHERE ts >= $1 AND ts < $2 AND job = $3', params: ['2024-01-01T00:00:00+09:00', '2024-01-02T00:00:00+09:00', "o'brien"] });
    expect(renderSqlBound(q, vars, 'f', 'question').sql).toBe('SELECT * FROM t WHERE ts >= ? AND ts < ? AND job = ?');
  });
  it('keeps the quoting checks of renderSql', () => {
    expect(() => renderSqlBound("SELECT '{{ window.start }}'", vars, 'spec.left.query', 'dollar')).toThrow(/spec\.left\.query/);
  });
});
