// What every workbench <dialog> does with the keyboard: Tab and Shift+Tab stay inside
// it, Escape runs `onEscape` (close or cancel). `dialog` is the template ref.
const FOCUSABLE = "button, input, select, textarea, [tabindex]:not([tabindex='-1'])";

// The controls of `dialog` (a template ref) that can take focus now, in order.
export function focusables(dialog) {
  return [...dialog.value.querySelectorAll(FOCUSABLE)].filter(
    (node) => !node.disabled && node.offsetParent !== null,
  );
}

export function trapKeys(dialog, onEscape) {
  return function onKey(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      onEscape();
      return;
    }
    if (event.key !== "Tab") return;
    const nodes = focusables(dialog);
    if (!nodes.length) return;
    const [first, last] = [nodes[0], nodes[nodes.length - 1]];
    const outside = !dialog.value.contains(document.activeElement);
    if (event.shiftKey && (document.activeElement === first || outside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || outside)) {
      event.preventDefault();
      first.focus();
    }
  };
}
