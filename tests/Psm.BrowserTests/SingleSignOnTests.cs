using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

/// <summary>Single sign-on against a real OpenID Provider (the npm oidc-provider package) on loopback.</summary>
[Collection(BrowserLanes.One)]
public sealed class SingleSignOnTests(BrowserFixture browser)
{
    [Fact]
    public async Task SigningInThroughTheCompanysProviderCreatesTheUserWithTheMappedRole()
    {
        await using var session = await Session.StartAsync(browser, new Dictionary<string, string?>
        {
            ["Sso:Authority"] = OidcProvider.Url, ["Sso:ClientId"] = "psm", ["Sso:ClientSecret"] = "psm-test-secret",
            ["Sso:RequireHttpsMetadata"] = "false", ["Sso:DisplayName"] = "Northwind SSO",
            ["Sso:RoleMap"] = "psm-admins=Admin,psm-pm=ProductManager,psm-support=SupportAgent", ["Sso:DefaultRole"] = "",
            ["Security:MfaRequiredRoles"] = "ProductManager", // proven at the provider, so PSM does not ask again
        });
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await page.GotoAsync("/account/sign-in");
            await session.ScreenshotAsync("sign-in-with-sso");
            await page.GetByTestId("sso").ClickAsync();

            await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(OidcProvider.Url)));
            await page.Locator("input[name=login]").FillAsync("olivia");
            await page.Locator("input[name=password]").FillAsync("anything");
            await page.Locator("button[type=submit]").ClickAsync();
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Continue" })).ToBeVisibleAsync(); // the provider confirms for a native client
            await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();

            await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(session.Server.BaseAddress.ToString().TrimEnd('/'))));
            await session.WaitUntilInteractiveAsync();
            await Expect(page.GetByTestId("signed-in-user")).ToHaveTextAsync("Olivia SSO");
            await Expect(page).Not.ToHaveURLAsync(new Regex("/account/"));
            await session.ScreenshotAsync("signed-in-by-sso");

            using var admin = await session.Server.ClientFor(PsmServer.EmailOf(Roles.Admin));
            var users = await admin.GetFromJsonAsync<JsonArray>("/api/v1/users");
            var olivia = users!.Single(u => (string)u!["email"]! == "olivia@northwind.test")!;
            Assert.Equal(["ProductManager"], olivia["roles"]!.AsArray().Select(r => (string)r!));

            // Someone the provider knows but whose groups map to no PSM role is refused, not given a role.
            await page.Context.ClearCookiesAsync();
            await page.GotoAsync("/account/sign-in");
            await page.GetByTestId("sso").ClickAsync();
            await page.Locator("input[name=login]").FillAsync("nobody");
            await page.Locator("input[name=password]").FillAsync("anything");
            await page.Locator("button[type=submit]").ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
            await Expect(page.GetByTestId("sso-error")).ToContainTextAsync("no role in PSM");
            users = await admin.GetFromJsonAsync<JsonArray>("/api/v1/users");
            Assert.DoesNotContain(users!, u => (string)u!["email"]! == "nobody@northwind.test");
        });
    }
}

/// <summary>
/// The OpenID Provider the tests sign in through: the one test.sh started (PSM_TEST_OIDC), or else one
/// started here once for the run from tests/oidc (after `npm ci` there).
/// </summary>
internal static class OidcProvider
{
    private static readonly Lazy<string> Started = new(Start);

    public static string Url => Environment.GetEnvironmentVariable("PSM_TEST_OIDC") is { Length: > 0 } url ? url.TrimEnd('/') : Started.Value;

    private static string Start()
    {
        var script = Path.Combine(Repository.Root, "tests", "oidc", "provider.mjs");
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var process = Process.Start(new ProcessStartInfo("node", [script, port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        }) ?? throw new InvalidOperationException("Could not start node for the test OpenID Provider.");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => process.Kill();
        var url = $"http://127.0.0.1:{port}";
        using var http = new HttpClient();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                if (http.GetAsync($"{url}/.well-known/openid-configuration").Result.IsSuccessStatusCode)
                {
                    return url;
                }
            }
            catch (HttpRequestException)
            {
                Thread.Sleep(100);
            }
        }

        throw new InvalidOperationException($"The test OpenID Provider did not start: run `npm ci` in tests/oidc. {process.StandardError.ReadToEnd()}");
    }
}
