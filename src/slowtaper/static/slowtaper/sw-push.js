// Push and notification-click handlers of the service worker (/sw.js imports this file); written by the push work.
