#!/usr/bin/python3
"""Opens the report page in a real headless browser and checks that every chart draws.

Usage: browser_test.py BROWSER_REPORT_PROGRAM CHROMIUM WORK_FOLDER

The program writes the fixture inputs and their page (report_fixtures.h: a run, a group, a
failed run; 15 charts). A copy of the page gets a checker script as the first thing in <head>
(it records window.onerror, console.error and unhandled rejections, and after the load event
and a timeout counts each canvas's non-transparent pixels into a <pre id="gear-check">);
chromium dumps the DOM after its virtual time budget. The page itself is also captured as
WORK_FOLDER/report.png for a person to look at. Exits 77 (skipped) when chromium is missing.
"""

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

# 7 charts for the run (accuracy, loss, widths, time and energy, corruptions, search probes,
# instability details), 5 for the group (accuracy, loss, widths, time and energy, corruptions),
# 3 for the failed run (accuracy, loss, time).
EXPECTED_CHARTS = 15
# Axes, ticks, title and legend alone draw thousands of pixels: a chart whose data failed to
# draw still has them, so the check also compares against an empty chart below.
MIN_DRAWN_PIXELS = 2000

CHECKER = r"""<script>
(function () {
  var errors = [];
  window.onerror = function (message, source, line) {
    errors.push('onerror: ' + message + ' at ' + source + ':' + line);
  };
  window.addEventListener('unhandledrejection', function (e) {
    errors.push('unhandled rejection: ' + e.reason);
  });
  var consoleError = console.error;
  console.error = function () {
    errors.push('console.error: ' + Array.prototype.join.call(arguments, ' '));
    return consoleError.apply(console, arguments);
  };
  function check(phase) {
    var canvases = Array.prototype.slice.call(document.querySelectorAll('canvas'));
    var result = {
      phase: phase,
      errors: errors,
      chart: typeof window.Chart,
      title: (document.querySelector('h1') || {}).textContent,
      notes: (document.getElementById('notes') || {}).textContent,
      pipelines: (document.getElementById('pipelines-note') || {}).textContent,
      canvases: canvases.map(function (c) {
        var drawn = 0;
        try {
          var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          for (var i = 3; i < d.length; i += 4) if (d[i] !== 0) drawn++;
        } catch (e) {
          errors.push('getImageData: ' + e);
        }
        return {id: c.id, label: c.getAttribute('aria-label'), width: c.width,
                height: c.height, drawn: drawn};
      })
    };
    var out = document.getElementById('gear-check');
    if (!out) {
      out = document.createElement('pre');
      out.id = 'gear-check';
      document.body.appendChild(out);
    }
    out.textContent = JSON.stringify(result);
  }
  window.addEventListener('load', function () {
    check('load');
    setTimeout(function () { check('timeout'); }, 1500);
  });
})();
</script>
"""


def chromium_command(chromium, profile, *args):
    # Root in a container: no sandbox; no GPU; /dev/shm may be small.
    return [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
            "--user-data-dir=" + profile, "--window-size=1280,3900", *args]


class BrowserPageTest(unittest.TestCase):
    program = chromium = folder = None

    @classmethod
    def setUpClass(cls):
        shutil.rmtree(cls.folder, ignore_errors=True)
        result = subprocess.run([cls.program, cls.folder], capture_output=True, text=True,
                                timeout=60, check=False)
        cls.report_exit = result.returncode
        cls.report_stderr = result.stderr
        page = os.path.join(cls.folder, "report.html")
        with open(page, encoding="utf-8") as f:
            cls.page = f.read()
        head = cls.page.index("<head>") + len("<head>")
        checked = os.path.join(cls.folder, "checked.html")
        with open(checked, "w", encoding="utf-8") as f:
            f.write(cls.page[:head] + "\n" + CHECKER + cls.page[head:])
        cls.profile = tempfile.mkdtemp(prefix="gear-report-chromium-")
        dom = subprocess.run(
            chromium_command(cls.chromium, cls.profile, "--virtual-time-budget=10000",
                             "--dump-dom", "file://" + checked),
            capture_output=True, text=True, timeout=120, check=False)
        cls.dom, cls.browser_stderr = dom.stdout, dom.stderr
        match = re.search(r'<pre id="gear-check">(.*?)</pre>', cls.dom, re.S)
        cls.check = json.loads(html.unescape(match.group(1))) if match else None
        cls.screenshot = os.path.join(cls.folder, "report.png")
        subprocess.run(
            chromium_command(cls.chromium, cls.profile, "--virtual-time-budget=10000",
                             "--screenshot=" + cls.screenshot, "file://" + page),
            capture_output=True, text=True, timeout=120, check=False)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.profile, ignore_errors=True)

    def checked(self):
        self.assertIsNotNone(self.check, "no #gear-check in the dumped DOM; chromium said:\n"
                             + self.browser_stderr[-3000:])
        self.assertEqual(self.check["phase"], "timeout", "the checker's last pass did not run")
        return self.check

    def test_report_exit_code_says_a_run_failed(self):
        self.assertEqual(self.report_exit, 1, self.report_stderr)

    def test_no_errors(self):
        self.assertEqual(self.checked()["errors"], [])
        self.assertEqual(self.checked()["chart"], "function", "Chart.js did not load inline")

    def test_every_chart_draws(self):
        canvases = self.checked()["canvases"]
        self.assertEqual(len(canvases), EXPECTED_CHARTS, [c["label"] for c in canvases])
        for c in canvases:
            self.assertGreater(c["width"] * c["height"], 0, c)
            self.assertGreater(c["drawn"], MIN_DRAWN_PIXELS, c)

    def test_names_and_notes_are_text(self):
        check = self.checked()
        # The name holds "</script><!--": shown as text, it neither ends a script nor the page.
        self.assertEqual(check["title"],
                         "GEAR report: alpha</script><!--, beta, failed-run")
        self.assertIn("failed-run: failed at stage 1: stage 1 (grow, osg): out of <memory>",
                      check["notes"])
        self.assertIn("The inputs come from 2 different pipelines", check["pipelines"])

    def test_screenshot_written(self):
        self.assertTrue(os.path.isfile(self.screenshot), self.screenshot)
        with open(self.screenshot, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        print(f"\nscreenshot: {self.screenshot}", file=sys.stderr)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    BrowserPageTest.program, BrowserPageTest.chromium, BrowserPageTest.folder = sys.argv[1:]
    if not os.access(BrowserPageTest.chromium, os.X_OK):
        print(f"SKIPPED: no chromium at {BrowserPageTest.chromium} (Debian package chromium; "
              "or configure with -DGEAR_CHROMIUM=<browser>)")
        sys.exit(77)
    unittest.main(argv=[sys.argv[0], "-v"])


if __name__ == "__main__":
    main()
