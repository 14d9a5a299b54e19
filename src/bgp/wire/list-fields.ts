// How a decoded message carries its NLRI lists (the UPDATE's `withdrawn` and `nlri`, the unicast
// MP_REACH_NLRI's `nlri` and MP_UNREACH_NLRI's `withdrawn`): as prefix keys (nlri.ts) behind a
// field that builds the Nlri objects and their text the first time it is read and returns that
// same array from then on. The RIB reads the keys instead (wireKeys) while the field has not been
// read: a full table then arrives without a prefix string or an object per prefix.
//
// Two forms of holder:
// - plain objects (setNlriField), for every decode but the session's: the field is an own
//   accessor, so the message looks eagerly decoded to JSON, deepEqual, spreading, Object.keys.
//   Defining it costs an Object.defineProperty per list, ~200 ns.
// - keyed holders (KeyedUpdate, KeyedMpReach, KeyedMpUnreach; CodecContext.keyedLists), for the
//   session's receive path, which hands each UPDATE to the RIB and to nothing that copies or
//   compares it: class instances whose accessors are on the prototype, so nothing is defined per
//   message (the defines were 3.6–3.8 % of the daemon's main thread during a table's feed). Reads,
//   assignments and JSON (toJSON) are as on a plain holder; spreading, Object.keys and deepEqual
//   do not see the lists.

import type { MpReach, MpUnreach, Nlri, PathAttribute, UpdateMessage } from './types.js';
import { unshared, type NlriKeys } from './nlri.js';

type ListName = 'nlri' | 'withdrawn';

// ---- Plain holders: an own accessor per list ----

/**
 * Returns its argument from a constructor, so that a subclass's private field lands on any object.
 * A plain function, not a class: the receiver it is handed and drops is then optimised away.
 */
const Stamp = function (o: object): object {
  return o;
} as unknown as new (o: object) => object;

/**
 * One field name's accessor and its keys, kept in a private field on the message (a private
 * field is no own property: JSON, deepEqual and spreading see only the field itself).
 */
function lazyField(name: ListName) {
  class Slot extends Stamp {
    #keys: NlriKeys;
    constructor(o: object, keys: NlriKeys) {
      super(o);
      this.#keys = keys;
    }
    static keysOf(o: object): NlriKeys | undefined {
      return #keys in o ? (o as Slot).#keys : undefined;
    }
  }
  const descriptor: PropertyDescriptor = {
    get(this: object): Nlri[] {
      return Slot.keysOf(this)!.toList();
    },
    set(this: object, list: Nlri[]) {
      Slot.keysOf(this)!.list = list;
    },
    enumerable: true,
    configurable: true,
  };
  return {
    install(o: object, keys: NlriKeys): void {
      new Slot(o, keys);
      Object.defineProperty(o, name, descriptor);
    },
    keysOf: Slot.keysOf,
  };
}

const NLRI = lazyField('nlri');
const WITHDRAWN = lazyField('withdrawn');

/**
 * Set o[name] to the decoded list: empty, a plain []; otherwise the accessor over the keys. Call
 * it where the field belongs in the object's key order (JSON shows fields in that order).
 */
export function setNlriField(o: object, name: ListName, keys: NlriKeys): void {
  const holder = o as { nlri?: Nlri[]; withdrawn?: Nlri[] };
  if (keys.count !== 0) (name === 'nlri' ? NLRI : WITHDRAWN).install(o, keys);
  else if (name === 'nlri') holder.nlri = [];
  else holder.withdrawn = [];
}

// ---- Keyed holders: the accessors on the prototype ----

/**
 * The keys of a keyed holder's lists, in private fields of this one base (one brand to test for,
 * whichever holder). A list the holder does not have is undefined.
 */
class KeyedLists {
  #withdrawn: NlriKeys | undefined;
  #nlri: NlriKeys | undefined;

  constructor(withdrawn: NlriKeys | undefined, nlri: NlriKeys | undefined) {
    this.#withdrawn = withdrawn;
    this.#nlri = nlri;
  }

  static keysOf(o: object, name: ListName): NlriKeys | undefined {
    if (!(#nlri in o)) return undefined;
    return name === 'nlri' ? (o as KeyedLists).#nlri : (o as KeyedLists).#withdrawn;
  }

  /**
   * The keys of `name` as this holder's own: an empty list is decoded as shared empty keys (no
   * allocation per message), swapped here for keys of its own before a list is built on them.
   */
  #own(name: ListName): NlriKeys {
    if (name === 'nlri') return (this.#nlri = unshared(this.#nlri!));
    return (this.#withdrawn = unshared(this.#withdrawn!));
  }

  protected listOf(name: ListName): Nlri[] {
    return this.#own(name).toList();
  }

  protected assign(name: ListName, list: Nlri[]): void {
    this.#own(name).list = list;
  }
}

export class KeyedUpdate extends KeyedLists implements UpdateMessage {
  readonly type: 'UPDATE';
  attributes: PathAttribute[];

  constructor(withdrawn: NlriKeys, attributes: PathAttribute[], nlri: NlriKeys) {
    super(withdrawn, nlri);
    this.type = 'UPDATE';
    this.attributes = attributes;
  }

  get withdrawn(): Nlri[] {
    return this.listOf('withdrawn');
  }
  set withdrawn(list: Nlri[]) {
    this.assign('withdrawn', list);
  }
  get nlri(): Nlri[] {
    return this.listOf('nlri');
  }
  set nlri(list: Nlri[]) {
    this.assign('nlri', list);
  }

  toJSON(): UpdateMessage {
    return { type: this.type, withdrawn: this.withdrawn, attributes: this.attributes, nlri: this.nlri };
  }
}

export class KeyedMpReach extends KeyedLists implements MpReach {
  afi: number;
  safi: number;
  nextHops: string[];
  /** RFC 4760 "Reserved" octet, when not 0 (as MpReach's). */
  declare reserved?: number;

  constructor(afi: number, safi: number, nextHops: string[], nlri: NlriKeys) {
    super(undefined, nlri);
    this.afi = afi;
    this.safi = safi;
    this.nextHops = nextHops;
  }

  get nlri(): Nlri[] {
    return this.listOf('nlri');
  }
  set nlri(list: Nlri[]) {
    this.assign('nlri', list);
  }

  toJSON(): MpReach {
    const json: MpReach = { afi: this.afi, safi: this.safi, nextHops: this.nextHops, nlri: this.nlri };
    if (this.reserved !== undefined) json.reserved = this.reserved;
    return json;
  }
}

export class KeyedMpUnreach extends KeyedLists implements MpUnreach {
  afi: number;
  safi: number;

  constructor(afi: number, safi: number, withdrawn: NlriKeys) {
    super(withdrawn, undefined);
    this.afi = afi;
    this.safi = safi;
  }

  get withdrawn(): Nlri[] {
    return this.listOf('withdrawn');
  }
  set withdrawn(list: Nlri[]) {
    this.assign('withdrawn', list);
  }

  toJSON(): MpUnreach {
    return { afi: this.afi, safi: this.safi, withdrawn: this.withdrawn };
  }
}

// ---- Either holder ----

/**
 * The keys behind o[name] while that field has not been read or assigned: the RIB's way to the
 * prefixes without their text. Undefined for a list built any other way (or already built).
 */
export function wireKeys(o: object, name: ListName): NlriKeys | undefined {
  // A comparison, not a table indexed by name: a keyed load by a variable name is a megamorphic
  // lookup, and the RIB asks several times per UPDATE.
  const keys = KeyedLists.keysOf(o, name) ?? (name === 'nlri' ? NLRI.keysOf(o) : WITHDRAWN.keysOf(o));
  return keys && keys.list === undefined ? keys : undefined;
}

/** Prefixes in o[name] without building the list (End-of-RIB checks, mandatory attributes). */
export function nlriCount(o: { nlri?: readonly Nlri[]; withdrawn?: readonly Nlri[] }, name: ListName): number {
  const keys = wireKeys(o, name);
  return keys ? keys.count : ((name === 'nlri' ? o.nlri : o.withdrawn)?.length ?? 0);
}
