// Live order-status updates: negotiate (`POST /api/realtime/negotiate` with the caller's own user
// id in `x-sc-user-id`), then connect to the URL it returns. devhost's stream is server-sent events
// (EventSource; the token goes in `?access_token=` because EventSource cannot send headers). In
// Azure the URL is an Azure SignalR Service hub, which needs the SignalR client: this module then
// (and whenever the stream fails) polls `GET /api/orders/{id}` for the orders it is told to watch,
// so a page always ends up showing the current status.
import { api, post } from "./api.js";

const POLL_MS = 2500;

/**
 * watchOrders({onStatus(msg), onState(state)}) → {watch(orderId), close()}
 * msg: {type: "orderStatusChanged", orderId, status, eventType, at}
 * state: "connecting" | "live" | "polling" | "closed"
 */
export function watchOrders({ onStatus, onState = () => {} }) {
  const watched = new Map(); // orderId -> last status seen
  let source = null;
  let timer = null;
  let closed = false;

  const emit = (msg) => {
    if (!msg || !msg.orderId) return;
    watched.set(msg.orderId, msg.status);
    onStatus(msg);
  };

  async function poll() {
    timer = null;
    if (closed) return;
    for (const [id, last] of watched) {
      try {
        const order = await api(`/orders/${encodeURIComponent(id)}`);
        if (order && order.status !== last) {
          emit({ type: "orderStatusChanged", orderId: id, status: order.status, at: order.updatedAt, polled: true });
        }
      } catch {
        /* keep polling: a transient failure must not stop the updates */
      }
    }
    if (!closed) timer = setTimeout(poll, POLL_MS);
  }

  function startPolling() {
    if (closed || timer) return;
    onState("polling");
    timer = setTimeout(poll, 0);
  }

  async function connect() {
    onState("connecting");
    try {
      const me = await api("/me");
      const info = await post("/realtime/negotiate", undefined, { headers: { "x-sc-user-id": me.id } });
      const url = new URL(info.url, location.href);
      if (url.origin !== location.origin || url.pathname.includes("/client/")) {
        startPolling(); // a SignalR hub (Azure) or another origin: the SignalR client is not bundled
        return;
      }
      url.searchParams.set("access_token", info.accessToken);
      source = new EventSource(url.toString());
      source.addEventListener("connected", () => onState("live"));
      source.addEventListener("orderStatusChanged", (e) => {
        try {
          emit(JSON.parse(e.data));
        } catch {
          /* ignore a malformed frame */
        }
      });
      source.onerror = () => {
        if (closed) return;
        if (source && source.readyState === EventSource.CLOSED) {
          source = null;
          startPolling();
        }
      };
    } catch {
      startPolling(); // 503 (no real-time service on this host), network error, ...
    }
  }

  connect();

  return {
    /** Also poll this order if the stream is not available; records the status already shown. */
    watch(orderId, status = null) {
      if (!watched.has(orderId)) watched.set(orderId, status);
    },
    close() {
      closed = true;
      if (source) source.close();
      if (timer) clearTimeout(timer);
      onState("closed");
    },
  };
}
