// Churn over a feeder's table: every tick, a batch of prefix changes drawn at random from the
// table — a withdrawn prefix comes back, an announced one is withdrawn (30 %) or announced again
// with other attributes (AS_PATH, MED, communities). The generator keeps which prefixes are
// announced, so the receiving side's final count is known, and packs a tick's changes into
// UPDATEs of at most 4096 octets grouped by attribute set, as a speaker sends them.

import { encodeMessage } from '../../../src/bgp/wire/index.js';
import type { Nlri, PathAttribute, UpdateMessage } from '../../../src/bgp/wire/types.js';
import { FEED_CTX } from '../lib/feeder.js';
import { Rng } from '../lib/rng.js';

/** Attribute sets a tick's announcements are spread over. */
const VARIANTS = 16;
/** Prefixes per UPDATE: IPv4 NLRI are 5 octets at most, so 700 stay well under 4096 with the attributes. */
const PER_MESSAGE = 700;
/** Share of changes to an announced prefix that withdraw it. */
const WITHDRAW_SHARE = 0.3;

export interface ChurnOptions {
  /** The feeder's IPv4 prefixes (the table it sent), all announced at the start. */
  prefixes: readonly string[];
  localAs: number;
  nextHop: string;
  seed: number;
}

export interface ChurnTick {
  wire: Buffer;
  messages: number;
  announced: number;
  withdrawn: number;
}

export class Churn {
  /** 1: announced now; 0: withdrawn. */
  private readonly held: Uint8Array;
  private heldCount: number;
  private round = 0;
  private readonly rng: Rng;

  constructor(private readonly o: ChurnOptions) {
    this.held = new Uint8Array(o.prefixes.length).fill(1);
    this.heldCount = o.prefixes.length;
    this.rng = new Rng(o.seed);
  }

  /** Prefixes announced at this point. */
  get announcedNow(): number {
    return this.heldCount;
  }

  /** Every prefix is announced again by the full table: the generator's state follows. */
  resetAllAnnounced(): void {
    this.held.fill(1);
    this.heldCount = this.held.length;
  }

  /** The next `changes` prefix changes as UPDATE bytes. */
  tick(changes: number): ChurnTick {
    this.round++;
    const withdraw: Nlri[] = [];
    const announce: Nlri[][] = Array.from({ length: VARIANTS }, () => []);
    // Each prefix changes at most once per tick: withdrawals go on the wire before announcements,
    // so a prefix changed twice would end differently on the wire and in the state.
    const drawn = new Set<number>();
    const n = Math.min(changes, this.o.prefixes.length);
    while (drawn.size < n) {
      const i = this.rng.int(this.o.prefixes.length);
      if (drawn.has(i)) continue;
      drawn.add(i);
      const nlri = { prefix: this.o.prefixes[i]! };
      if (this.held[i] === 1 && this.rng.chance(WITHDRAW_SHARE)) {
        this.held[i] = 0;
        this.heldCount--;
        withdraw.push(nlri);
        continue;
      }
      if (this.held[i] === 0) {
        this.held[i] = 1;
        this.heldCount++;
      }
      announce[this.rng.int(VARIANTS)]!.push(nlri);
    }
    const bufs: Buffer[] = [];
    for (let i = 0; i < withdraw.length; i += PER_MESSAGE) {
      bufs.push(encodeMessage({ type: 'UPDATE', withdrawn: withdraw.slice(i, i + PER_MESSAGE), attributes: [], nlri: [] }, FEED_CTX));
    }
    let announced = 0;
    announce.forEach((list, v) => {
      const attributes = this.attributes(v);
      for (let i = 0; i < list.length; i += PER_MESSAGE) {
        const msg: UpdateMessage = { type: 'UPDATE', withdrawn: [], attributes, nlri: list.slice(i, i + PER_MESSAGE) };
        bufs.push(encodeMessage(msg, FEED_CTX));
      }
      announced += list.length;
    });
    return { wire: Buffer.concat(bufs), messages: bufs.length, announced, withdrawn: withdraw.length };
  }

  /** Attribute set v of this round: path length, MED and a community change from round to round. */
  private attributes(v: number): PathAttribute[] {
    const o = this.o;
    const transit = [64600 + (v % 4), 64700 + ((v + this.round) % 8)];
    if ((v + this.round) % 3 === 0) transit.push(64800 + v);
    return [
      { code: 1, name: 'ORIGIN', flags: 0x40, value: 'IGP' },
      { code: 2, name: 'AS_PATH', flags: 0x40, value: [{ type: 'AS_SEQUENCE', asns: [o.localAs, ...transit] }] },
      { code: 3, name: 'NEXT_HOP', flags: 0x40, value: o.nextHop },
      { code: 4, name: 'MULTI_EXIT_DISC', flags: 0x80, value: (this.round * VARIANTS + v) % 1000 },
      { code: 8, name: 'COMMUNITIES', flags: 0xc0, value: [((o.localAs & 0xffff) << 16 | (this.round % 100)) >>> 0, ((64600 << 16) | v) >>> 0] },
    ];
  }
}
