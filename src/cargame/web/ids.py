"""Component ids, namespaced by the page (or the shell) that owns them.

Dash ids share one namespace across every page, so each id is `<owner>-<name>`; callbacks and
tests import these constants instead of repeating strings.
"""

from __future__ import annotations

from dataclasses import dataclass


def component_id(owner: str, name: str) -> str:
    """`<owner>-<name>`, e.g. `attempt-make`."""
    return f"{owner}-{name}"


# The shell: present on every page.
GAME_STORE = component_id("shell", "game")  # the server-side pointer to this tab's GameData
NAVIGATE = component_id("shell", "navigate")  # callbacks move the player by setting its href
SCOREBOARD = component_id("shell", "scoreboard")
SCROLL_TOP = component_id("shell", "scroll-top")  # a page change scrolls to the top
MENU = component_id("shell", "menu")  # the header's links, folded into a menu on phones
MENU_TOGGLE = component_id("shell", "menu-toggle")
REDIRECT_LINK = component_id("shell", "redirect")  # rendered by a page that is not the stage's


@dataclass(frozen=True)
class Starter:
    """The ids of one start-game widget (its button, retry, progress area and error box, and
    the opponent level picker unless the widget starts at the default level)."""

    owner: str
    button: str = "start"
    picks_level: bool = True

    @property
    def start(self) -> str:
        return component_id(self.owner, self.button)

    @property
    def retry(self) -> str:
        return component_id(self.owner, "retry")

    @property
    def progress(self) -> str:
        return component_id(self.owner, "progress")

    @property
    def progress_bar(self) -> str:
        return progress_bar(self.progress)

    @property
    def progress_tick(self) -> str:
        return progress_tick(self.progress)

    @property
    def error(self) -> str:
        return component_id(self.owner, "error")

    @property
    def error_text(self) -> str:
        return component_id(self.owner, "error-text")

    @property
    def level(self) -> str:
        return component_id(self.owner, "level")


# /
HOME_STARTER = Starter("home")
HOME_START = HOME_STARTER.start
HOME_RETRY = HOME_STARTER.retry
HOME_PROGRESS = HOME_STARTER.progress
HOME_ERROR = HOME_STARTER.error
HOME_ERROR_TEXT = HOME_STARTER.error_text
HOME_TIMER = component_id("home", "timer")  # the round timer on or off (accessibility)

# / on a booth kiosk: the attract screen, one big start button
ATTRACT_STARTER = Starter("attract", button="screen", picks_level=False)  # the default level
ATTRACT_SCREEN = ATTRACT_STARTER.start
ATTRACT_DECK = component_id("attract", "deck")  # the cycling slides
ATTRACT_TICK = component_id("attract", "tick")
ATTRACT_COUNT = component_id("attract", "count")  # slides, and after how many ticks to reload

# /attempt
ATTEMPT_MAKE = component_id("attempt", "make")
ATTEMPT_MODEL = component_id("attempt", "model")
ATTEMPT_MODEL_HINT = component_id("attempt", "model-hint")  # what to choose next
ATTEMPT_MAKE_FILTER = component_id("attempt", "make-filter")  # many makes: narrows the tiles
ATTEMPT_MAKES = component_id("attempt", "makes")  # every make of the game, for the filter
ATTEMPT_TIMER = component_id("attempt", "timer")  # seconds left when the page was rendered
ATTEMPT_TIMER_TEXT = component_id("attempt", "timer-text")
ATTEMPT_TIMER_BAR = component_id("attempt", "timer-bar")
ATTEMPT_TICK = component_id("attempt", "tick")
ATTEMPT_TIMED_OUT = component_id("attempt", "timed-out")  # set by the countdown at zero
ATTEMPT_SUBMIT = component_id("attempt", "submit")
ATTEMPT_MESSAGE = component_id("attempt", "message")

# /result
RESULT_TRUTH_SWITCH = component_id("result", "truth-switch")
RESULT_AI_HEATMAP = component_id("result", "ai-heatmap")
RESULT_TRUTH_HEATMAP = component_id("result", "truth-heatmap")
RESULT_AI_PICTURE = component_id("result", "ai-picture")  # where the AI's heatmap goes
RESULT_TRUTH_PICTURE = component_id("result", "truth-picture")  # and the true car's
RESULT_HEATMAP_POLL = component_id("result", "heatmap-poll")  # while the heatmaps are made
RESULT_NEXT = component_id("result", "next")
RESULT_CHART = component_id("result", "chart")

# /finish
FINISH_STARTER = Starter("finish", button="again")
FINISH_AGAIN = FINISH_STARTER.start
FINISH_RETRY = FINISH_STARTER.retry
FINISH_PROGRESS = FINISH_STARTER.progress
FINISH_ERROR = FINISH_STARTER.error
FINISH_ERROR_TEXT = FINISH_STARTER.error_text
FINISH_SAVED = component_id("finish", "saved")  # "Saved to your history", or how to save it
FINISH_KEEP = component_id("finish", "keep")  # a guest's "Register and keep it"
FINISH_NEXT_PLAYER = component_id("finish", "next-player")  # booth mode: clear the screen
FINISH_NICKNAME = component_id("finish", "nickname")  # booth: a name for today's board
FINISH_NICKNAME_SAVE = component_id("finish", "nickname-save")
FINISH_NICKNAME_MESSAGE = component_id("finish", "nickname-message")
FINISH_CLAIM_QR = component_id("finish", "claim-qr")  # booth: "take your score home"

# Booth kiosk, on every game page: the idle watcher and its "Still playing?" countdown
BOOTH_IDLE = component_id("booth", "idle")
BOOTH_IDLE_PROMPT = component_id("booth", "idle-prompt")
BOOTH_IDLE_COUNT = component_id("booth", "idle-count")
BOOTH_RESET_FORM = component_id("booth", "reset")

# /showroom
SHOWROOM_MAKES = component_id("showroom", "makes")
SHOWROOM_GRID = component_id("showroom", "grid")


def progress_bar(progress_area: str) -> str:
    """The progress bar inside a start button's progress area."""
    return f"{progress_area}-bar"


def progress_tick(progress_area: str) -> str:
    """The interval that polls a game's preparation while it runs."""
    return f"{progress_area}-tick"
