// The page's settings. Deployed as static files, edit this one file:
//   apiBaseUrl: the Invites API's URL (the stack's ApiUrl output); "" = the page's own origin.
//   signInUrl:  where "Sign in as <email>" goes; it gets ?email=<invitee>&redirect_url=<page>.
//   appUrl:     where "Continue" goes after joining ("" hides the link).
window.INVITES_CONFIG = {
  apiBaseUrl: "",
  signInUrl: "/dev/sign-in",
  appUrl: ""
};
