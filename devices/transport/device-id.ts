/**
 * The default stream id of a device: its kind and where it is reached, as one clean token that
 * can go into file names and session ids — `cyton-ttyUSB0`, not `cyton-/dev/ttyUSB0`.
 */

/**
 * `kind-place`: the last path component of `where` (a serial port such as `/dev/ttyUSB0` or
 * `COM3`, or a host name), with every run of characters other than letters, digits, `.`, `_`
 * and `-` replaced by one `_`.
 */
export function deviceStreamId(kind: string, where: string): string {
  const place = where.replace(/[\\/]+$/, '').replace(/^.*[\\/]/, '').replace(/[^A-Za-z0-9._-]+/g, '_');
  return place.length > 0 ? `${kind}-${place}` : kind;
}
