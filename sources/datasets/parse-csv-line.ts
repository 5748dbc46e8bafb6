/**
 * Splits one CSV line into its fields (RFC 4180: `,` separates, a field in double quotes may hold
 * commas, and `""` inside quotes is one quote). A trailing `\r` is dropped. Lines with a quoted
 * newline are not supported (the dataset CSVs read with it have none).
 *
 * @example parseCsvLine('"passing American football (in game)",abc,1,11') // ['passing American football (in game)', 'abc', '1', '11']
 * @throws SyntaxError when a quote is not closed or a closing quote is followed by something other than `,`.
 */
export function parseCsvLine(line: string): string[] {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const close = text.indexOf('"', i);
        if (close < 0)
          throw new SyntaxError(
            `Cannot parse a CSV line as a quoted field must be closed: current value is ${JSON.stringify(line)}`,
          );
        value += text.slice(i, close);
        if (text[close + 1] === '"') {
          value += '"';
          i = close + 2;
        } else {
          i = close + 1;
          break;
        }
      }
      fields.push(value);
      if (i === text.length) return fields;
      if (text[i] !== ',')
        throw new SyntaxError(
          `Cannot parse a CSV line as a closing quote must end its field: current value is ${JSON.stringify(line)}`,
        );
      i++;
    } else {
      const comma = text.indexOf(',', i);
      if (comma < 0) {
        fields.push(text.slice(i));
        return fields;
      }
      fields.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}
