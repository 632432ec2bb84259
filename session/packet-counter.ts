/**
 * Lost and corrupt packets of a device, summed over the parsers a session goes through (a driver
 * makes a new parser each time it reconnects; each parser's counts start at zero).
 */
/** Lost and corrupt packets of a device, summed over its parsers. */
export interface PacketCounts {
  lost: number;
  corrupt: number;
}

export class PacketCounter<S extends object> {
  private current: S | undefined;
  private base: PacketCounts = { lost: 0, corrupt: 0 };

  constructor(private readonly count: (stats: Readonly<S>) => PacketCounts) {}

  /** The driver's `onParser` callback: its parser's cumulative stats. */
  readonly observe = (stats: Readonly<S>): void => {
    if (this.current !== undefined && stats !== this.current) {
      const previous = this.count(this.current);
      this.base = { lost: this.base.lost + previous.lost, corrupt: this.base.corrupt + previous.corrupt };
    }
    this.current = stats;
  };

  totals(): PacketCounts {
    const now = this.current ? this.count(this.current) : { lost: 0, corrupt: 0 };
    return { lost: this.base.lost + now.lost, corrupt: this.base.corrupt + now.corrupt };
  }
}
