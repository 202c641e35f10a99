/* A Dash bundle that failed to arrive: load the page again.
 *
 * Dash loads some of its code only when a page first needs it (Plotly, 1.4 MB, on the first
 * answer page). When the web instance sending it dies halfway, the script fails; every chart
 * then throws as it draws, and Dash answers each error by undoing the last change of the
 * page's state, which is the navigation to this page: the game would flip between two pages
 * for good. The game lives on the server and the address names its page, so loading the page
 * again fetches the bundle anew and carries on. At most once a minute per tab, so a server
 * that keeps failing shows its error instead of reloading without end.
 */
(function () {
  "use strict";
  var KEY = "cargame-bundle-reload";
  var PAUSE_MS = 60000;

  window.addEventListener(
    "error",
    function (event) {
      var script = event.target;
      if (!script || script.tagName !== "SCRIPT") return;
      if (String(script.src || "").indexOf("/_dash-component-suites/") < 0) return;
      try {
        var last = Number(window.sessionStorage.getItem(KEY)) || 0;
        if (Date.now() - last < PAUSE_MS) return;
        window.sessionStorage.setItem(KEY, String(Date.now()));
      } catch (error) {
        return; // no session storage: no way to stop a reload loop, so no reload
      }
      window.location.reload();
    },
    true // a script's load error does not bubble: listen while it goes down
  );
})();
