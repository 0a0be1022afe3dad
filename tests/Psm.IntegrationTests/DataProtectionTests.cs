using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Psm.Web.Data.Demo;
using Psm.Web.Infrastructure.Auth;

namespace Psm.IntegrationTests;

/// <summary>Two PSM instances on one database: what one signs or encrypts, the other must read when the keys are in the database.</summary>
public sealed partial class DataProtectionTests
{
    [Fact]
    public async Task WithTheKeysInTheDatabaseACookieAndASecretMadeOnOneInstanceOpenOnAnother()
    {
        await using var one = new PsmServer(new() { ["DataProtection:Keys"] = "Database" });
        await using var two = new PsmServer(new(one.SameDatabase()) { ["DataProtection:Keys"] = "Database" });

        var cookies = await SignInAsync(one, PsmServer.EmailOf(Roles.ProductManager));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(one, "/customers", cookies)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(two, "/customers", cookies)).StatusCode);

        var sealedOnOne = one.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("PSM.Tests").Protect("smtp password");
        Assert.Equal("smtp password", two.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("PSM.Tests").Unprotect(sealedOnOne));
    }

    [Fact]
    public async Task WithAKeyFolderForEachInstanceTheOtherRefusesTheCookie()
    {
        var folders = (Path.Combine(Path.GetTempPath(), $"psm-keys-{Guid.NewGuid():N}"), Path.Combine(Path.GetTempPath(), $"psm-keys-{Guid.NewGuid():N}"));
        try
        {
            await using var one = new PsmServer(new() { ["DataProtection:Keys"] = "Folder", ["DataProtection:Folder"] = folders.Item1 });
            await using var two = new PsmServer(new(one.SameDatabase()) { ["DataProtection:Keys"] = "Folder", ["DataProtection:Folder"] = folders.Item2 });

            var cookies = await SignInAsync(one, PsmServer.EmailOf(Roles.ProductManager));
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(one, "/customers", cookies)).StatusCode);
            var elsewhere = await GetAsync(two, "/customers", cookies);
            Assert.Equal(HttpStatusCode.Redirect, elsewhere.StatusCode);
            Assert.Equal("/account/sign-in", elsewhere.Headers.Location!.AbsolutePath);
        }
        finally
        {
            foreach (var folder in new[] { folders.Item1, folders.Item2 }.Where(Directory.Exists))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public async Task AnUnknownKeyStoreStopsTheStartWithTheSettingNamed()
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var server = new PsmServer(new() { ["DataProtection:Keys"] = "Redis" });
            using var client = server.Anonymous();
        });
        Assert.Contains("DataProtection:Keys", failure.ToString());
    }

    /// <summary>Signs in through the sign-in form, as a browser does (antiforgery token and all); the cookies hold the session.</summary>
    private static async Task<CookieContainer> SignInAsync(PsmServer server, string email)
    {
        var cookies = new CookieContainer();
        using var client = Client(server, cookies);
        var form = await client.GetStringAsync("/account/sign-in");
        var token = AntiforgeryField().Match(form);
        Assert.True(token.Success, "The sign-in form carries an antiforgery token.");
        var response = await client.PostAsync("/account/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "sign-in", ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
            ["Input.Email"] = email, ["Input.Password"] = DemoData.Password,
        }));
        Assert.True(response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.SeeOther or HttpStatusCode.Found,
            $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return cookies;
    }

    // Cookies belong to a host, not a port: both instances on 127.0.0.1 receive the same ones, as two instances behind one address would.
    private static async Task<HttpResponseMessage> GetAsync(PsmServer server, string path, CookieContainer cookies)
    {
        using var client = Client(server, cookies);
        return await client.GetAsync(path);
    }

    private static HttpClient Client(PsmServer server, CookieContainer cookies) =>
        new(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress };

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
