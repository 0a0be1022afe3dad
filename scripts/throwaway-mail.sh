# Sourced by test.sh and bench/run.sh (after throwaway-postgres.sh, which defines as_root and port_free):
# starts a throwaway mail server on loopback ports in a temporary folder: Postfix takes SMTP and hands
# every message for example.test and customer.test to Dovecot over LMTP; Dovecot serves the mailboxes
# over IMAP. Any address at those domains is a mailbox, and every mailbox's IMAP password is "secret",
# so each test can use addresses of its own. Exports PSM_TEST_MAIL ("smtp=HOST:PORT;imap=HOST:PORT;
# password=secret"). Installs Debian's postfix and dovecot-imapd/-lmtpd first if they are missing.

mail_free_port() { # first free port from $1
  local candidate
  for candidate in $(seq "$1" $(($1 + 200))); do
    if port_free "$candidate"; then echo "$candidate"; return 0; fi
  done
  return 1
}

start_throwaway_mail() {
  if ! command -v dovecot >/dev/null || ! command -v postfix >/dev/null || [ ! -x /usr/lib/dovecot/lmtp ] || [ ! -x /usr/lib/dovecot/imap ]; then
    echo "Installing postfix and dovecot from Debian's packages"
    as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
      postfix dovecot-imapd dovecot-lmtpd >/dev/null || { echo "Could not install postfix and dovecot"; return 1; }
  fi

  MAIL_DIR=$(mktemp -d /tmp/psm-mail.XXXXXX)
  chmod 755 "$MAIL_DIR"
  local imap lmtp smtp
  imap=$(mail_free_port 55800) && lmtp=$(mail_free_port $((imap + 1))) && smtp=$(mail_free_port $((lmtp + 1))) \
    || { echo "No free ports for the mail server"; return 1; }

  # --- Dovecot: IMAP for reading, LMTP for Postfix to deliver into; any user, password "secret" ---
  mkdir -p "$MAIL_DIR/dovecot" "$MAIL_DIR/users"
  chown dovecot:dovecot "$MAIL_DIR/users"
  cat >"$MAIL_DIR/dovecot/dovecot.conf" <<EOF
base_dir = $MAIL_DIR/dovecot/run
state_dir = $MAIL_DIR/dovecot/state
log_path = $MAIL_DIR/dovecot/dovecot.log
listen = 127.0.0.1
protocols = imap lmtp
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:$MAIL_DIR/users/%u/Maildir
passdb {
  driver = static
  args = password=secret
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=$MAIL_DIR/users/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $lmtp
  }
}
protocol lmtp {
  postmaster_address = postmaster@example.test
}
EOF
  dovecot -c "$MAIL_DIR/dovecot/dovecot.conf" || { cat "$MAIL_DIR/dovecot/dovecot.log" 2>/dev/null; return 1; }

  # --- Postfix: a second instance of its own, SMTP on loopback, every message to Dovecot over LMTP ---
  local pf="$MAIL_DIR/postfix"
  mkdir -p "$pf/queue" "$pf/data"
  [ -f /etc/postfix/main.cf ] || as_root touch /etc/postfix/main.cf
  # Postfix only runs instances whose folder the default configuration lists.
  local listed
  listed=$(postconf -h alternate_config_directories 2>/dev/null)
  as_root postconf -e "alternate_config_directories = ${listed:+$listed, }$pf"
  cp /etc/postfix/master.cf "$pf/master.cf"
  sed -i -E "s/^smtp\s+inet\s.*/127.0.0.1:$smtp inet n - n - - smtpd/" "$pf/master.cf"
  cat >"$pf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $pf/queue
data_directory = $pf/data
maillog_file = /dev/stdout
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mail.example.test
mydestination =
mynetworks = 127.0.0.0/8
virtual_mailbox_domains = example.test customer.test
virtual_transport = lmtp:inet:127.0.0.1:$lmtp
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
message_size_limit = 52428800
alias_maps =
alias_database =
EOF
  chown -R postfix "$pf/data"
  postfix -c "$pf" set-permissions >/dev/null 2>&1
  postfix -c "$pf" start-fg >"$MAIL_DIR/postfix.log" 2>&1 &
  MAIL_POSTFIX_PID=$!
  local _
  for _ in $(seq 1 50); do
    port_free "$smtp" || break
    sleep 0.2
  done
  ! port_free "$smtp" || { cat "$MAIL_DIR/postfix.log"; return 1; }
  ! port_free "$imap" || { cat "$MAIL_DIR/dovecot/dovecot.log"; return 1; }
  echo "Mail server: SMTP on 127.0.0.1:$smtp, IMAP on 127.0.0.1:$imap"
  export PSM_TEST_MAIL="smtp=127.0.0.1:$smtp;imap=127.0.0.1:$imap;password=secret"
}

stop_throwaway_mail() {
  [ -n "${MAIL_DIR:-}" ] || return 0
  postfix -c "$MAIL_DIR/postfix" stop >/dev/null 2>&1 || kill "${MAIL_POSTFIX_PID:-}" 2>/dev/null || true
  doveadm -c "$MAIL_DIR/dovecot/dovecot.conf" stop >/dev/null 2>&1 || true
  local listed
  listed=$(postconf -h alternate_config_directories 2>/dev/null | sed -E "s#(, )?$MAIL_DIR/postfix##; s#^, ##")
  as_root postconf -e "alternate_config_directories = $listed" 2>/dev/null || true
  rm -rf "$MAIL_DIR"
}
