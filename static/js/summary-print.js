// The annual pack's 打印 button: the browser's print dialog (A4 from the print stylesheet).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
