// live follows an SSE stream: handlers by event name, onOpen on every
// (re)connection — after a reconnect, events may have been missed, so
// callers reload what they show. EventSource reconnects on its own; a
// stream the server closed for good (an error answer) is retried here.
export function live(url, handlers, { onOpen, onState } = {}) {
  let es;
  let stopped = false;
  let retry;
  const connect = () => {
    es = new EventSource(url);
    es.onopen = () => { onState?.(true); onOpen?.(); };
    es.onerror = () => {
      onState?.(false);
      if (es.readyState === EventSource.CLOSED && !stopped) retry = setTimeout(connect, 2000);
    };
    for (const [name, fn] of Object.entries(handlers)) es.addEventListener(name, (e) => fn(e.data));
  };
  connect();
  return () => {
    stopped = true;
    clearTimeout(retry);
    es.close();
  };
}
