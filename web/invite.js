// The invitation landing page: the emailed link opens it. It reads the invite id from its
// URL (/invites/<id>, or ?id=<id>), asks the unauthenticated preview what the invitation is,
// and lets the invitee accept it with their session cookie (ks_uat). Every text from the API
// is set as text, never as HTML: tenant and inviter names are other people's input.
(function () {
  "use strict";

  var config = window.INVITES_CONFIG || {};
  var apiBase = String(config.apiBaseUrl || "").replace(/\/+$/, "");
  var main = document.getElementById("main");
  var title = document.getElementById("title");
  var content = document.getElementById("content");
  var ROLE_NAMES = { USER: "Member", ADMIN: "Admin", OWNER: "Owner" };
  // What SES last said of the invitation email (the preview's delivery_status).
  var DELIVERY_NAMES = {
    sent: "Sent",
    delayed: "Delayed",
    delivered: "Delivered",
    bounced: "Bounced: it never arrived",
    rejected: "Not sent",
    complained: "Marked as spam"
  };
  var UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  function inviteId() {
    var fromQuery = new URLSearchParams(window.location.search).get("id");
    if (fromQuery) return fromQuery.trim();
    var parts = window.location.pathname.split("/").filter(Boolean);
    try {
      return parts.length ? decodeURIComponent(parts[parts.length - 1]) : "";
    } catch (malformed) {
      return ""; // a broken %-escape: not an invite's id
    }
  }

  // el("p", {className: "muted"}, ["text", otherNode]) builds an element safely.
  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      if (key === "dataset") Object.assign(node.dataset, props[key]);
      else node[key] = props[key];
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  // Shows one state: its heading, its content; focus moves to the heading so that keyboard
  // and screen-reader users land on what changed.
  function show(state, heading, nodes) {
    main.dataset.state = state;
    main.setAttribute("aria-busy", "false");
    document.title = heading;
    title.textContent = heading;
    content.replaceChildren.apply(content, nodes);
    title.focus();
  }

  function roleName(role) {
    return ROLE_NAMES[role] || role || "Member";
  }

  function personName(person) {
    if (!person) return "";
    return [person.first_name, person.last_name].filter(Boolean).join(" ");
  }

  function when(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return el("span", {}, [String(iso)]);
    var text = new Intl.DateTimeFormat(undefined, { dateStyle: "long", timeStyle: "short" }).format(date);
    return el("time", { dateTime: date.toISOString() }, [text]);
  }

  function signInLink(email, label) {
    var target = String(config.signInUrl || "");
    if (!target) return null;
    var url = new URL(target, window.location.href);
    if (email) url.searchParams.set("email", email);
    url.searchParams.set("redirect_url", window.location.href);
    return el("a", { href: url.toString(), id: "sign-in" }, [label || "Sign in as " + email + " to accept"]);
  }

  function continueLink() {
    if (!config.appUrl) return null;
    return el("a", { className: "button", href: String(config.appUrl), id: "continue" }, ["Continue"]);
  }

  function problem(text) {
    return el("p", { className: "notice problem", id: "message" }, [text]);
  }

  function retry() {
    return el("button", { type: "button", id: "retry", onclick: load }, ["Try again"]);
  }

  function details(preview) {
    var rows = [
      ["Team", preview.tenant_name],
      ["Email", preview.email],
      ["Role", roleName(preview.role)]
    ];
    var inviter = personName(preview.invited_by);
    if (inviter) rows.push(["Invited by", inviter]);
    var list = el("dl", { id: "details" }, []);
    rows.forEach(function (row) {
      list.append(el("dt", {}, [row[0]]), el("dd", {}, [row[1] || ""]));
    });
    list.append(el("dt", {}, ["Expires"]), el("dd", {}, [when(preview.expires_at)]));
    if (preview.delivery_status) {
      var status = DELIVERY_NAMES[preview.delivery_status] || preview.delivery_status;
      list.append(el("dt", {}, ["Invitation email"]), el("dd", { id: "delivery" }, [status]));
    }
    return list;
  }

  var STATES = {
    valid: function (preview) {
      var inviter = personName(preview.invited_by);
      var accept = el("button", { type: "button", id: "accept" }, ["Accept invitation"]);
      accept.addEventListener("click", function () { acceptInvite(preview, accept); });
      show("valid", "Join " + preview.tenant_name, [
        el("p", {}, [
          (inviter || "Someone") + " invited " + preview.email + " to join " + preview.tenant_name +
            " as " + roleName(preview.role) + "."
        ]),
        details(preview),
        el("div", { className: "actions" }, [
          accept,
          signInLink(preview.email, "Not signed in as " + preview.email + "? Sign in")
        ])
      ]);
    },
    expired: function (preview) {
      var inviter = personName(preview.invited_by);
      show("expired", "This invitation has expired", [
        el("p", {}, [
          "The invitation to join " + (preview.tenant_name || "the team") + " expired on ",
          when(preview.expires_at),
          "."
        ]),
        el("p", { className: "muted" }, [
          "Ask " + (inviter || "the person who invited you") + " to send you a new one."
        ])
      ]);
    },
    accepted: function (preview) {
      show("accepted", "This invitation was already accepted", [
        el("p", {}, [
          preview.email + " has already joined " + (preview.tenant_name || "the team") + "."
        ]),
        el("p", { className: "muted" }, ["If that was you, sign in to get started."]),
        el("div", { className: "actions" }, [
          continueLink(),
          signInLink(preview.email, "Sign in as " + preview.email)
        ])
      ]);
    },
    not_found: function () {
      show("not_found", "We can't find this invitation", [
        el("p", {}, ["It may have been withdrawn, or the link may be incomplete."]),
        el("p", { className: "muted" }, [
          "Open the link from your email again, or ask the person who invited you for a new invitation."
        ])
      ]);
    },
    tenant_unavailable: function () {
      show("tenant_unavailable", "This team is not available", [
        el("p", {}, ["The team that invited you isn't taking new members right now."]),
        el("p", { className: "muted" }, ["Contact the person who invited you."])
      ]);
    }
  };

  function failed(text) {
    show("error", "Something went wrong", [problem(text), el("div", { className: "actions" }, [retry()])]);
  }

  function readJson(response) {
    return response.text().then(function (text) {
      try { return JSON.parse(text); } catch (ignored) { return {}; }
    });
  }

  function detailOf(body) {
    return typeof body.detail === "string" ? body.detail : "";
  }

  // What an accept answer means for the invitee, and what they can do next.
  function accepted(preview, status, body) {
    var team = preview.tenant_name;
    if (status === 200) {
      show("joined", "You've joined " + team, [
        el("p", { className: "notice", id: "message" }, [
          "You are now a member of " + team + " as " + roleName(body.role) + "."
        ]),
        el("div", { className: "actions" }, [continueLink()])
      ]);
    } else if (status === 401) {
      show("sign_in", "Sign in to accept", [
        el("p", {}, ["To join " + team + ", sign in with the account for " + preview.email + "."]),
        el("div", { className: "actions" }, [signInLink(preview.email)])
      ]);
    } else if (status === 403 && body.code === "quota_exceeded") {
      show("no_seat", team + " has no free seat", [problem(detailOf(body))]);
    } else if (status === 403 && body.code === "tenant_deactivated") {
      STATES.tenant_unavailable();
    } else if (status === 403 && /verify your email/i.test(detailOf(body))) {
      show("verify_email", "Verify your email address first", [
        problem("Your account's email address is not verified yet. Verify it, then come back to accept."),
        el("div", { className: "actions" }, [retry()])
      ]);
    } else if (status === 403 && /different email/i.test(detailOf(body))) {
      // The API's text for accept's OtherEmail (accept-invite's AcceptError); the browser
      // test's wrong-user case fails if that wording changes.
      show("wrong_user", "This invitation is for " + preview.email, [
        problem("You're signed in with a different account. Sign in as " + preview.email + " to accept."),
        el("div", { className: "actions" }, [signInLink(preview.email)])
      ]);
    } else if (status === 410) {
      STATES.expired(preview);
    } else if (status === 409) {
      show("conflict", /member/i.test(detailOf(body)) ? "You're already a member" : "This invitation was already accepted", [
        problem(detailOf(body)),
        el("div", { className: "actions" }, [continueLink()])
      ]);
    } else if (status === 404) {
      STATES.not_found();
    } else if (status === 400) {
      show("closed", team + " isn't taking new members this way", [
        problem(detailOf(body)),
        el("p", { className: "muted" }, ["Contact the person who invited you."])
      ]);
    } else {
      failed(detailOf(body) || "The invitation could not be accepted (HTTP " + status + ").");
    }
  }

  function acceptInvite(preview, button) {
    button.disabled = true;
    button.textContent = "Accepting…";
    main.setAttribute("aria-busy", "true");
    fetch(apiBase + "/v1/invites/" + encodeURIComponent(preview.id) + "/accept", {
      method: "POST",
      credentials: "include",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        return readJson(response).then(function (body) { accepted(preview, response.status, body); });
      })
      .catch(function () {
        failed("We couldn't reach the server. Check your connection and try again.");
      });
  }

  function load() {
    var id = inviteId();
    main.setAttribute("aria-busy", "true");
    if (!UUID.test(id)) {
      STATES.not_found();
      return;
    }
    fetch(apiBase + "/v1/invites/" + encodeURIComponent(id) + "/preview", {
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        return readJson(response).then(function (body) {
          if (response.status === 429) {
            failed("Too many requests from your network. Wait a minute and try again.");
          } else if (!response.ok || !Object.prototype.hasOwnProperty.call(STATES, body.state)) {
            failed(detailOf(body) || "The invitation could not be loaded (HTTP " + response.status + ").");
          } else {
            body.id = id;
            STATES[body.state](body);
          }
        });
      })
      .catch(function () {
        failed("We couldn't reach the server. Check your connection and try again.");
      });
  }

  load();
})();
