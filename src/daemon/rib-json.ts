// show rib's JSON, written directly: the same text as JSON.stringify(ribEntryView(...)), field
// for field, without building the view objects. A full table is a million entries, and most of
// each line comes from the path attributes, which are interned (one object per distinct set,
// about one per four prefixes): their part of the text is built once per set and reused.
// test/daemon-rib-json.test.ts holds the two equal.

import type { DecisionConfig, PathAttrs, Route } from '../rib/index.js';
import type { PrefixEntry } from '../rib/locrib.js';
import { asPathText } from '../policy/index.js';
import { decidedByOf, orderedPaths } from './views.js';

const q = JSON.stringify;

/** The attributes' text: before `interface` (nextHop … communities) and after it (large, extended communities). */
interface AttrText {
  head: string;
  tail: string;
}

const attrTexts = new WeakMap<PathAttrs, AttrText>();

function attrText(a: PathAttrs): AttrText {
  let t = attrTexts.get(a);
  if (t === undefined) {
    const communities = a.communities.map((c) => `${c >>> 16}:${c & 0xffff}`);
    const head =
      `"nextHop":${q(a.nextHop)},"asPath":${q(asPathText(a.asPath))},"origin":${q(a.origin)}` +
      (a.localPref !== undefined ? `,"localPref":${a.localPref}` : '') +
      (a.med !== undefined ? `,"med":${a.med}` : '') +
      `,"communities":${q(communities)}`;
    const tail = `"largeCommunities":${q(a.largeCommunities.map((l) => l.join(':')))},"extCommunities":${q(a.extCommunities)}`;
    t = { head, tail };
    attrTexts.set(a, t);
  }
  return t;
}

function pathJson(r: Route, e: Readonly<PrefixEntry>, cfg: DecisionConfig): string {
  const a = attrText(r.attrs);
  const decidedBy = decidedByOf(r, e, cfg);
  return (
    `{"family":"${r.family}","prefix":${q(r.prefix)},"pathId":${r.pathId},"source":"${r.source.kind}"` +
    (r.source.kind === 'bgp' ? `,"neighbor":${q(r.source.peer.address)}` : '') +
    `,${a.head}` +
    (r.interface ? `,"interface":${q(r.interface)}` : '') +
    `,${a.tail},"best":${e.best[0] === r},"multipath":${e.best.includes(r)}` +
    (decidedBy ? `,"decidedBy":"${decidedBy}"` : '') +
    `,"resolved":${r.resolved !== false}` +
    (r.igpCost !== undefined ? `,"igpCost":${r.igpCost}` : '') +
    `,"stale":${r.stale},"type":"${r.type}"}`
  );
}

/** JSON.stringify(ribEntryView(e, cfg, keep)), built faster. */
export function ribEntryJson(e: Readonly<PrefixEntry>, cfg: DecisionConfig, keep?: (r: Route) => boolean): string {
  const paths = orderedPaths(e, cfg, keep);
  let out = `{"family":"${e.family}","prefix":${q(e.prefix)},"paths":[`;
  for (let i = 0; i < paths.length; i++) out += (i > 0 ? ',' : '') + pathJson(paths[i]!, e, cfg);
  return out + ']}';
}
