using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Psm.Web.Infrastructure.Auth;

namespace Psm.BrowserTests;

/// <summary>Accounts as people meet them: a one-time password replaced at first sign-in, an admin's reset link, two-step sign-in.</summary>
[Collection(BrowserLanes.Two)]
public sealed class AccountTests(BrowserFixture browser)
{
    [Fact]
    public async Task ANewUserWithAOneTimePasswordMustChooseTheirOwnBeforeAnythingElse()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var admin = await session.Server.ClientFor(PsmServer.EmailOf(Roles.Admin));
            var created = await (await admin.PostAsJsonAsync("/api/v1/users", new { email = "nora@northwind.test", displayName = "Nora New", roles = new[] { "Marketer" } }))
                .ReadAsync<JsonObject>();
            var oneTime = (string)created["generatedPassword"]!;

            await session.SignInAsync("nora@northwind.test", oneTime);
            await Expect(page).ToHaveURLAsync(new Regex("/account/password"));
            await Expect(page.GetByTestId("password-required")).ToBeVisibleAsync();
            await page.GotoAsync("/campaigns"); // nothing else opens first
            await Expect(page).ToHaveURLAsync(new Regex("/account/password"));

            await page.GetByLabel("Current password").FillAsync(oneTime);
            await page.GetByLabel("New password (at least 10 characters)").FillAsync("Nora-chose-this-1");
            await page.GetByLabel("New password again").FillAsync("Nora-chose-this-2");
            await page.GetByTestId("change-password").ClickAsync();
            await Expect(page.GetByText("The two new passwords differ.")).ToBeVisibleAsync();
            await page.GetByLabel("Current password").FillAsync(oneTime);
            await page.GetByLabel("New password (at least 10 characters)").FillAsync("Nora-chose-this-1");
            await page.GetByLabel("New password again").FillAsync("Nora-chose-this-1");
            await session.ScreenshotAsync("forced-change");
            await page.GetByTestId("change-password").ClickAsync();
            await session.WaitUntilInteractiveAsync();
            await page.GotoAsync("/campaigns");
            await Expect(page).ToHaveURLAsync(new Regex("/campaigns$"));

            await page.Context.ClearCookiesAsync();
            await session.SignInAsync("nora@northwind.test", oneTime);
            await Expect(page.GetByTestId("sign-in-error")).ToBeVisibleAsync();
            await session.SignInAsync("nora@northwind.test", "Nora-chose-this-1");
            await session.WaitUntilInteractiveAsync();
            await Expect(page).Not.ToHaveURLAsync(new Regex("/account/"));
        });
    }

    [Fact]
    public async Task AnAdminsResetLinkLetsTheUserSetANewPasswordOnce()
    {
        await using var session = await Session.StartAsync(browser);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            using var admin = await session.Server.ClientFor(PsmServer.EmailOf(Roles.Admin));
            var users = await admin.GetFromJsonAsync<JsonArray>("/api/v1/users");
            var pm = (string)users!.Single(u => (string)u!["email"]! == PsmServer.EmailOf(Roles.ProductManager))!["id"]!;
            var reset = await (await admin.PostAsync($"/api/v1/users/{pm}/password-reset", null)).ReadAsync<JsonObject>();
            var link = (string)reset["link"]!;

            await page.GotoAsync(link);
            await page.GetByLabel("New password (at least 10 characters)").FillAsync("Priya-reset-2026");
            await page.GetByLabel("New password again").FillAsync("Priya-reset-2026");
            await page.GetByTestId("reset-password").ClickAsync();
            await Expect(page.GetByTestId("reset-done")).ToBeVisibleAsync();
            await session.ScreenshotAsync("reset-done");

            await page.GotoAsync(link); // a used link is spent: the password changed, so its token no longer verifies
            await page.GetByLabel("New password (at least 10 characters)").FillAsync("Someone-else-2026");
            await page.GetByLabel("New password again").FillAsync("Someone-else-2026");
            await page.GetByTestId("reset-password").ClickAsync();
            await Expect(page.GetByTestId("reset-error")).ToContainTextAsync("not valid or has expired");

            await session.SignInAsync(PsmServer.EmailOf(Roles.ProductManager), "Priya-reset-2026");
            await session.WaitUntilInteractiveAsync();
            await Expect(page).Not.ToHaveURLAsync(new Regex("/account/"));
            var audit = await admin.GetFromJsonAsync<JsonObject>("/api/v1/audit?action=PasswordResetIssued");
            Assert.Single(audit!["items"]!.AsArray());
        });
    }

    [Fact]
    public async Task ARoleThatRequiresTwoStepSignInEnrolsAnAuthenticatorAndThenSignsInWithACode()
    {
        await using var session = await Session.StartAsync(browser, new Dictionary<string, string?> { ["Security:MfaRequiredRoles"] = "ProductManager" });
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await session.SignInAsync(PsmServer.EmailOf(Roles.ProductManager));
            await Expect(page).ToHaveURLAsync(new Regex("/account/mfa"));
            await Expect(page.GetByTestId("mfa-required")).ToBeVisibleAsync();
            var key = await page.GetByTestId("mfa-key").InnerTextAsync();
            await session.ScreenshotAsync("mfa-enrol");

            await page.GetByLabel("Code").FillAsync("000000");
            await page.GetByTestId("enable-mfa").ClickAsync();
            await Expect(page.GetByTestId("mfa-error")).ToBeVisibleAsync();
            await page.GetByLabel("Code").FillAsync(Totp.Code(key, DateTimeOffset.UtcNow));
            await page.GetByTestId("enable-mfa").ClickAsync();
            await Expect(page.GetByTestId("recovery-codes").Locator("li")).ToHaveCountAsync(8);
            await page.GetByTestId("mfa-continue").ClickAsync();
            await session.WaitUntilInteractiveAsync();
            await Expect(page).Not.ToHaveURLAsync(new Regex("/account/"));

            await page.Context.ClearCookiesAsync();
            await session.SignInAsync(PsmServer.EmailOf(Roles.ProductManager));
            await Expect(page).ToHaveURLAsync(new Regex("/account/sign-in/mfa"));
            await page.GetByLabel("Code").FillAsync("123456");
            await page.GetByTestId("verify-code").ClickAsync();
            await Expect(page.GetByTestId("mfa-sign-in-error")).ToBeVisibleAsync();
            await page.GetByLabel("Code").FillAsync(Totp.Code(key, DateTimeOffset.UtcNow));
            await page.GetByTestId("verify-code").ClickAsync();
            await session.WaitUntilInteractiveAsync();
            await Expect(page).Not.ToHaveURLAsync(new Regex("/account/"));
            await session.ScreenshotAsync("signed-in-with-code");
        });
    }
}

/// <summary>RFC 6238 codes (HMAC-SHA1, 30-second steps, six digits), what an authenticator app shows.</summary>
internal static class Totp
{
    public static string Code(string base32Key, DateTimeOffset at)
    {
        var key = Base32(base32Key.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant());
        var counter = BitConverter.GetBytes(at.ToUnixTimeSeconds() / 30);
        if (BitConverter.IsLittleEndian)
        {
            Array.Reverse(counter);
        }

        var hash = HMACSHA1.HashData(key, counter);
        var offset = hash[^1] & 0x0f;
        var binary = ((hash[offset] & 0x7f) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        return (binary % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static byte[] Base32(string text)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bytes = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var c in text.TrimEnd('='))
        {
            buffer = (buffer << 5) | alphabet.IndexOf(c);
            bits += 5;
            if (bits >= 8)
            {
                bytes.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }

        return [.. bytes];
    }
}
