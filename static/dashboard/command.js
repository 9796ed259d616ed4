// Ctrl+K / Cmd+K opens Unfold's command palette (unfold/helpers/command.html). Unfold listens
// for a lower-case "k" only, so with Caps Lock or Shift held the shortcut did nothing; this
// opens the palette for the upper-case key too, through the palette's own "opencommand" event.
document.addEventListener("keydown", function (event) {
  var target = document.activeElement;
  var typing = target && (/^(input|textarea|select)$/i.test(target.tagName) || target.isContentEditable);
  if (event.key === "K" && (event.ctrlKey || event.metaKey) && !typing) {
    event.preventDefault();
    window.dispatchEvent(new CustomEvent("opencommand"));
  }
});
