// A real OpenID Provider (the npm oidc-provider package) on loopback for PSM's single sign-on tests.
// Usage: node provider.mjs PORT. Any login name signs in (its password is ignored: this is a test
// provider); the name decides the person: "olivia" is olivia@northwind.test in the group psm-pm.
import Provider from 'oidc-provider';

const port = Number(process.argv[2] ?? 55600);
const issuer = `http://127.0.0.1:${port}`;

const groups = { olivia: ['psm-pm'], aaron: ['psm-admins'], sven: ['psm-support'], nobody: [] };

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'psm',
    client_secret: 'psm-test-secret',
    // A native client: RFC 8252 lets a loopback redirect use any port, and each PSM test server has its own.
    application_type: 'native',
    redirect_uris: ['http://127.0.0.1/signin-oidc'],
    post_logout_redirect_uris: ['http://127.0.0.1/signout-callback-oidc'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
  scopes: ['openid', 'email', 'profile', 'groups'],
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  cookies: { keys: ['psm-test-provider-cookie-key'] },
  async findAccount(ctx, id) {
    const login = String(id).toLowerCase();
    return {
      accountId: login,
      async claims() {
        const name = login.charAt(0).toUpperCase() + login.slice(1);
        return { sub: login, email: `${login}@northwind.test`, email_verified: true, name: `${name} SSO`, groups: groups[login] ?? [] };
      },
    };
  },
  // The test provider grants what PSM asks for without a consent screen, as a company's own provider does.
  loadExistingGrant: async (ctx) => {
    const grant = new provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
});

provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));
