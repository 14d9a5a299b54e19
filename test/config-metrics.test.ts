// metrics.listen: ADDRESS:PORT with an IPv4 address, [ADDRESS]:PORT with an IPv6 one; anything
// else is a file:line:col error; absent, there is no endpoint. parseListen (the daemon's side)
// reads exactly what the schema lets through.

import test from 'ava';

import { parseConfig } from '../src/config/index.js';
import { parseListen } from '../src/daemon/metrics.js';

const head = 'router-id: 192.0.2.1\nlocal-as: 65000\n';

test('metrics.listen: IPv4 and bracketed IPv6 addresses with a port; absent means no endpoint', (t) => {
  for (const [listen, host, port] of [['127.0.0.1:9179', '127.0.0.1', 9179], ['[::1]:9179', '::1', 9179], ['[2001:db8::1]:1', '2001:db8::1', 1]] as const) {
    const r = parseConfig(`${head}metrics:\n  listen: "${listen}"\n`, 'm.yaml');
    if (!r.ok) return t.fail(r.errors.map(String).join('\n'));
    t.is(r.config.metrics.listen, listen);
    t.deepEqual(parseListen(listen), { host, port });
  }
  const none = parseConfig(head, 'm.yaml');
  if (!none.ok) return t.fail(none.errors.map(String).join('\n'));
  t.deepEqual(none.config.metrics, {});
});

test('metrics.listen: names, missing ports, unbracketed IPv6 and bad ports are errors at the value', (t) => {
  const cases: [string, RegExp][] = [
    ['localhost:9179', /"localhost" is not an IPv4 or IPv6 address/],
    ['127.0.0.1', /is not ADDRESS:PORT/],
    ['::1:9179', /is not ADDRESS:PORT/],
    ['[127.0.0.1]:9179', /IPv6 address in brackets, an IPv4 address without/],
    ['127.0.0.1:0', /is not ADDRESS:PORT/],
    ['127.0.0.1:65536', /is not ADDRESS:PORT/],
  ];
  for (const [listen, message] of cases) {
    const r = parseConfig(`${head}metrics:\n  listen: "${listen}"\n`, 'm.yaml');
    t.false(r.ok, listen);
    if (r.ok) continue;
    t.regex(String(r.errors[0]), /^m\.yaml:4:11: metrics\.listen: /, listen);
    t.regex(String(r.errors[0]), message, listen);
  }
  const extra = parseConfig(`${head}metrics:\n  listen: "127.0.0.1:9179"\n  path: /metrics\n`, 'm.yaml');
  t.false(extra.ok);
});
