/* The print view's Print button (no inline handler: the Content-Security-Policy allows none). */
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () {
    window.print();
  });
});
