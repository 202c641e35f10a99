/* Booth kiosk: reset an abandoned game screen for the next stranger.
 *
 * Active only on pages that render #booth-idle (booth game pages). After data-idle-seconds
 * without a touch, click or key it shows "Still playing?" with a data-countdown-seconds count;
 * any touch carries on, else the reset form posts to /next-player (the server abandons the game
 * and clears the session) and the attract screen returns. The tab's session storage (the game
 * pointer) is cleared with it, so nothing of the previous player stays in this browser.
 */
(function () {
  "use strict";
  var lastActivity = Date.now();
  var deadline = null; // when the countdown ends, while "Still playing?" shows
  var resetting = false;

  function guard() {
    return document.getElementById("booth-idle");
  }

  function prompt() {
    return document.getElementById("booth-idle-prompt");
  }

  function activity() {
    lastActivity = Date.now();
    if (deadline !== null) {
      deadline = null;
      var shown = prompt();
      if (shown) shown.hidden = true;
    }
  }

  ["pointerdown", "touchstart", "keydown", "wheel"].forEach(function (name) {
    document.addEventListener(name, activity, { capture: true, passive: true });
  });

  // "Next player" and the idle reset: forget this tab's game pointer too.
  document.addEventListener(
    "submit",
    function (event) {
      var action = event.target && event.target.getAttribute("action");
      if (action === "/next-player") {
        try {
          window.sessionStorage.clear();
        } catch (error) {
          /* storage disabled: the server-side session is cleared anyway */
        }
      }
    },
    true
  );

  // The attract screen is one big touch target; Enter or Space start a game too.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target && target.classList && target.classList.contains("attract")) {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        target.click();
      }
    }
  });

  function focusAttract() {
    var screen = document.querySelector(".attract");
    if (screen && (document.activeElement === document.body || !document.activeElement)) {
      screen.focus();
    }
  }

  function reset(watcher) {
    resetting = true;
    var form = watcher.querySelector("form");
    try {
      window.sessionStorage.clear();
    } catch (error) {
      /* see above */
    }
    if (form) {
      form.submit();
    } else {
      window.location.assign("/");
    }
  }

  window.setInterval(function () {
    focusAttract();
    var watcher = guard();
    if (!watcher || resetting) {
      // Not a game page (attract screen, wall): the clock starts when a game page appears.
      lastActivity = Date.now();
      deadline = null;
      return;
    }
    var idle = 1000 * Number(watcher.dataset.idleSeconds || 60);
    var countdown = 1000 * Number(watcher.dataset.countdownSeconds || 10);
    var now = Date.now();
    if (deadline === null && now - lastActivity >= idle) {
      deadline = now + countdown;
      var shown = prompt();
      if (shown) shown.hidden = false;
    }
    if (deadline !== null) {
      var left = Math.max(0, Math.ceil((deadline - now) / 1000));
      var count = document.getElementById("booth-idle-count");
      if (count) count.textContent = String(left);
      if (left === 0) reset(watcher);
    }
  }, 250);
})();
