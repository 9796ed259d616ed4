// Tells the dashboard the staff member's time zone, so times are shown in it
// (apps.dashboard.middleware.StaffTimeZoneMiddleware).
(function () {
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) {
    return;
  }
  var cookie = "ledgerline_tz=" + encodeURIComponent(zone);
  if (document.cookie.split("; ").indexOf(cookie) === -1) {
    document.cookie = cookie + "; path=/dashboard/; max-age=31536000; samesite=lax";
  }
})();
