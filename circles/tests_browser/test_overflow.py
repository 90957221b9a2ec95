"""No page state scrolls sideways: on a 320 px phone, a 390 px phone and a 1366 px desktop, every page of
page_states.TOURS fits the window (`document.documentElement.scrollWidth <= window.innerWidth`).

Each tour runs in one browser context; at every state the viewport is set to each width in turn and put
back to the phone the tour clicks on, so a state is reached once and measured at all three widths. The
first state that does not fit fails the test, naming the page, the width and the element reaching
furthest to the right.
"""

import re

import pytest

from circles.tests_browser.conftest import PHONE
from circles.tests_browser.page_states import TOURS

pytestmark = pytest.mark.browser

WIDTHS = (PHONE["width"], 320, 1366)

# Whether the page is wider than the window, and if so the element reaching furthest right that is not
# inside something that clips or scrolls it (only such elements widen the page). Also any part of the page
# that scrolls sideways inside it (a table or map cut off at the right), unless it is a chart that opens at
# its right end, the most recent weeks (a right-to-left scroller at its start).
MEASURE = """() => {
  const root = document.documentElement;
  const result = {scrollWidth: root.scrollWidth, innerWidth: window.innerWidth, culprit: null, inner: null};
  // Whether something between the element and the page clips it (an absolutely positioned element
  // escapes every ancestor up to the one it is positioned in).
  const clipped = (element) => {
    let position = getComputedStyle(element).position;
    if (position === "fixed") return false;
    for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (position === "absolute" && style.position === "static") continue;
      if (style.overflowX !== "visible") return true;
      position = style.position;
      if (position === "fixed") return false;
    }
    return false;
  };
  const describe = (element) => {
    const parts = [];
    for (let at = element; at && at !== document.body && parts.length < 5; at = at.parentElement) {
      let part = at.localName;
      if (at.id) { parts.unshift(part + "#" + at.id); break; }
      if (typeof at.className === "string" && at.className.trim()) {
        part += "." + at.className.trim().split(/\\s+/).join(".");
      }
      const same = at.parentElement
        ? [...at.parentElement.children].filter((sibling) => sibling.localName === at.localName)
        : [];
      if (same.length > 1) part += `:nth-of-type(${same.indexOf(at) + 1})`;
      parts.unshift(part);
    }
    return parts.join(" > ");
  };
  for (const element of document.body.querySelectorAll("*")) {
    const style = getComputedStyle(element);
    const scrolls = ["auto", "scroll"].includes(style.overflowX);
    if (!scrolls || element.scrollWidth <= element.clientWidth + 1) continue;
    if (style.direction === "rtl" && element.scrollLeft === 0) continue;
    if (clipped(element)) continue;
    const [content, width] = [element.scrollWidth, element.clientWidth];
    result.inner = {selector: describe(element), scrollWidth: content, width: width};
    break;
  }
  if (result.scrollWidth <= result.innerWidth) return result;
  let widest = null;
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    const right = box.right + window.scrollX;
    if (right > result.innerWidth + 0.5 && (!widest || right > widest.right) && !clipped(element)) {
      widest = {selector: describe(element), right: Math.round(right), width: Math.round(box.width)};
    }
  }
  result.culprit = widest;
  return result;
}"""

OPEN_DETAILS = "document.querySelectorAll('details').forEach((d) => { d.open = true; })"
CLOSE_MENU = "document.querySelectorAll('header details').forEach((d) => { d.open = false; })"


class Sweep:
    """Measures each page state at every width and fails on the first that scrolls sideways."""

    def __init__(self, page):
        self.page, self.states = page, 0

    def visit(self, path, label=None):
        response = self.page.goto(path)
        assert response is not None and response.ok, f"{path} answered {response and response.status}"
        self.check(label or path)

    def check(self, label):
        self.states += 1
        # A table or chart folded away is part of the page too once opened.
        self.page.evaluate(OPEN_DETAILS)
        try:
            for width in WIDTHS:
                self.page.set_viewport_size({"width": width, "height": PHONE["height"]})
                measured = self.page.evaluate(MEASURE)
                if measured["scrollWidth"] > measured["innerWidth"]:
                    culprit = measured["culprit"]
                    where = (
                        f"widest: {culprit['selector']} (right edge at {culprit['right']} px, "
                        f"{culprit['width']} px wide)"
                        if culprit
                        else "no single element found"
                    )
                    pytest.fail(
                        f"{label} ({self.page.url}) scrolls sideways at {width} px: the page is "
                        f"{measured['scrollWidth']} px wide; {where}",
                        pytrace=False,
                    )
                inner = measured["inner"]
                if inner:
                    pytest.fail(
                        f"{label} ({self.page.url}) is cut off at {width} px: {inner['selector']} scrolls "
                        f"sideways ({inner['scrollWidth']} px of content in {inner['width']} px)",
                        pytrace=False,
                    )
        finally:
            self.page.set_viewport_size(PHONE)
            # The header's menu was opened with the rest; closed again, it does not lie over what the
            # tour taps next.
            self.page.evaluate(CLOSE_MENU)


@pytest.mark.parametrize("tour", TOURS, ids=lambda tour: tour.name)
def test_no_page_scrolls_sideways(tour, request, page):
    sweep = Sweep(page)
    tour.walk(page, sweep, *(request.getfixturevalue(name) for name in tour.fixtures))
    assert sweep.states > 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '<main><p class="wide" style="width: 500px">words</p></main>',
            "at 390 px: the page is 508 px wide; widest: main > p.wide (right edge at 508 px",
        ),
        # Something positioned inside a scroller is placed from the page, not the scroller: it widens it.
        (
            '<div style="overflow-x: auto"><p style="width: 600px">a <span class="hidden" '
            'style="position: absolute; left: 500px">b</span></p></div>',
            "scrolls sideways at 390 px: the page is 5",
        ),
        (
            '<div class="cut" style="overflow-x: auto"><p style="width: 600px">a</p></div>',
            "is cut off at 390 px: div.cut scrolls sideways (600 px of content in 374 px)",
        ),
    ],
)
def test_the_sweep_names_the_page_width_and_element(page, body, message):
    page.set_content(f"<!DOCTYPE html><html><body>{body}</body></html>")
    with pytest.raises(pytest.fail.Exception, match=re.escape(message)):
        Sweep(page).check("a test page")


def test_a_chart_that_opens_at_its_latest_end_may_scroll(page):
    page.set_content(
        '<!DOCTYPE html><html><body><div style="overflow-x: auto; direction: rtl">'
        '<p style="width: 600px; direction: ltr">a</p></div></body></html>'
    )
    Sweep(page).check("a test page")
