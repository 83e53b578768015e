-- edgepass initial schema. Identifiers are prefixed random ids (usr_, key_, cli_ ...), times are timestamptz.

CREATE TABLE users (
  id             text PRIMARY KEY,                 -- usr_<random>
  email          text NOT NULL,                    -- as entered; uniqueness is case-insensitive
  email_verified boolean NOT NULL DEFAULT false,
  password_hash  text,                             -- argon2id PHC string; NULL for external-IdP-only accounts
  name           text,
  roles          text[] NOT NULL DEFAULT '{}',
  plan           text NOT NULL DEFAULT 'free',
  tenant         text,
  status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

-- Accounts linked to an external OIDC provider (login with <provider>).
CREATE TABLE external_identities (
  provider   text NOT NULL,
  subject    text NOT NULL,
  user_id    text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  email      text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, subject)
);
CREATE INDEX external_identities_user ON external_identities (user_id);

-- OAuth clients. Secrets are stored only as a hash; metadata is oidc-provider client metadata without the secret.
CREATE TABLE oauth_clients (
  client_id   text PRIMARY KEY,                   -- cli_<random> or an admin-chosen id
  secret_hash text,                                -- NULL for public clients (PKCE only)
  metadata    jsonb NOT NULL,
  owner_id    text REFERENCES users(id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Durable oidc-provider models (Grant, RefreshToken, AuthorizationCode, Session, Interaction ...), one row each.
CREATE TABLE oidc_models (
  model       text NOT NULL,
  id          text NOT NULL,
  payload     jsonb NOT NULL,
  grant_id    text,
  user_code   text,
  uid         text,
  expires_at  timestamptz,
  consumed_at timestamptz,
  PRIMARY KEY (model, id)
);
CREATE INDEX oidc_models_grant_id ON oidc_models (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX oidc_models_uid ON oidc_models (uid) WHERE uid IS NOT NULL;
CREATE INDEX oidc_models_user_code ON oidc_models (user_code) WHERE user_code IS NOT NULL;
CREATE INDEX oidc_models_expires_at ON oidc_models (expires_at) WHERE expires_at IS NOT NULL;

-- Signing keys for access tokens (auth service) and passports (gateways). The private JWK is encrypted
-- with the master key (AES-256-GCM envelope, see keys.ts). A 'next' key is published in the JWKS
-- before it signs; a 'retired' key stays published until not_after.
CREATE TABLE signing_keys (
  kid             text PRIMARY KEY,
  use             text NOT NULL CHECK (use IN ('access_token', 'passport')),
  alg             text NOT NULL,
  public_jwk      jsonb NOT NULL,
  private_jwk_enc text NOT NULL,
  state           text NOT NULL CHECK (state IN ('next', 'active', 'retired')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  activated_at    timestamptz,
  retired_at      timestamptz,
  not_after       timestamptz
);
CREATE INDEX signing_keys_use_state ON signing_keys (use, state);
-- At most one active and one next key per use: concurrent ensureActive/stageNext calls cannot both win.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (use) WHERE state = 'active';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (use) WHERE state = 'next';

-- Browser sessions (cookie ep_session). Only the SHA-256 of the cookie value is stored.
CREATE TABLE sessions (
  id_hash      text PRIMARY KEY,                  -- base64url(SHA-256(cookie value))
  user_id      text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  grant_ids    text[] NOT NULL DEFAULT '{}',      -- oidc-provider grants created in this session (revoked on logout)
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id);

-- API keys: ep_<env>_<random>, shown once. Only SHA-256 (base64url) of the whole key is stored, plus a
-- display prefix. Rotation creates a new key and gives the old one an expires_at (the overlap window).
CREATE TABLE api_keys (
  id                   text PRIMARY KEY,          -- key_<random>
  owner_id             text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name                 text,
  env                  text NOT NULL DEFAULT 'live',
  prefix               text NOT NULL,             -- e.g. ep_live_AbC1 (for listings)
  hash                 text NOT NULL UNIQUE,
  scopes               text[] NOT NULL DEFAULT '{}',
  rate_limit_per_minute integer CHECK (rate_limit_per_minute IS NULL OR rate_limit_per_minute > 0),
  expires_at           timestamptz,
  last_used_at         timestamptz,
  revoked_at           timestamptz,
  rotated_from         text REFERENCES api_keys(id) ON DELETE SET NULL,
  created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_owner ON api_keys (owner_id);

-- Usage per principal per day per service, written by gateways in batches.
-- principal: 'user:<id>' or 'key:<id>'.
CREATE TABLE usage_daily (
  principal text NOT NULL,
  day       date NOT NULL,
  service   text NOT NULL,
  count     bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (principal, day, service)
);
