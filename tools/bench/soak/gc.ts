// Force full garbage collections in a Node process started with --inspect=127.0.0.1:PORT, through
// the inspector protocol (HeapProfiler.collectGarbage), so that the soak benchmark reads routed's
// RSS once garbage is gone instead of whenever V8 last collected. Runs in the daemon's namespace:
//   node --experimental-websocket dist/tools/bench/soak/gc.js PORT [TIMES]
// (Node 20's WebSocket client is behind that flag.)

interface Target {
  webSocketDebuggerUrl: string;
}

declare const WebSocket: {
  new (url: string): {
    onopen: (() => void) | null;
    onmessage: ((ev: { data: unknown }) => void) | null;
    onerror: ((ev: unknown) => void) | null;
    send(data: string): void;
    close(): void;
  };
};

async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? 9229);
  const times = Number(process.argv[3] ?? 2);
  const [target] = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Target[];
  if (!target) throw new Error(`no inspector target on port ${port}`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  let next = 1;
  const waiting = new Map<number, () => void>();
  ws.onmessage = (ev) => {
    const msg = JSON.parse(String(ev.data)) as { id?: number };
    if (msg.id !== undefined) waiting.get(msg.id)?.();
  };
  const call = (method: string): Promise<void> =>
    new Promise((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ id, method }));
    });
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = (e) => reject(new Error(`inspector websocket: ${String(e)}`));
  });
  // Two rounds: objects with finalizers or weak references free more on the second.
  for (let i = 0; i < times; i++) await call('HeapProfiler.collectGarbage');
  ws.close();
}

const timer = setTimeout(() => {
  console.error('gc: no answer in 60 s');
  process.exit(1);
}, 60_000);
main().then(
  () => {
    clearTimeout(timer);
    process.exit(0);
  },
  (e: unknown) => {
    console.error(`gc: ${(e as Error).message}`);
    process.exit(1);
  },
);
