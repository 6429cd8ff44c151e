/**
 * Go's formatting where kube-apiserver's messages use it, so the simulator's messages are
 * byte for byte the real ones: %q of a string and of a []string, %#v of a []string, and
 * utilerrors.NewAggregate's Error().
 */

/** strconv.Quote, close enough for the names and paths these messages quote. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** %q of a []string: `["a" "b"]`. */
export function goQuoteList(list: readonly string[]): string {
  return `[${list.map(goQuote).join(' ')}]`;
}

/** %#v of a []string: `[]string{"a", "b"}`. */
export function goStringSlice(list: readonly string[]): string {
  return `[]string{${list.map(goQuote).join(', ')}}`;
}

/** utilerrors.NewAggregate(errs).Error(): one message as is, several deduplicated in brackets. */
export function aggregate(messages: readonly string[]): string {
  const seen = [...new Set(messages)];
  if (seen.length === 0) return '';
  if (seen.length === 1) return seen[0];
  return `[${seen.join(', ')}]`;
}
