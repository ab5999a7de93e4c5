// Live progress for the sync dashboard: every element with data-refresh is replaced by the
// server-rendered fragment at that URL every data-interval ms (default 1000), until the fragment
// says the sync ended.
// Without JavaScript the page refreshes itself (a <noscript> meta refresh) instead.

function follow(container) {
  const url = container.getAttribute('data-refresh');
  const interval = Number(container.getAttribute('data-interval')) || 1000;
  const tick = async () => {
    try {
      const response = await fetch(url, { credentials: 'same-origin', headers: { accept: 'text/html' } });
      if (!response.ok) return;
      container.innerHTML = await response.text();
      if (container.querySelector('[data-ended="yes"]')) return;
    } catch {
      // The server restarted or the network blinked: try again on the next tick.
    }
    setTimeout(tick, interval);
  };
  const ended = container.querySelector('[data-ended="yes"]');
  if (!ended) setTimeout(tick, interval);
}

document.addEventListener('DOMContentLoaded', () => {
  for (const container of document.querySelectorAll('[data-refresh]')) follow(container);
});
