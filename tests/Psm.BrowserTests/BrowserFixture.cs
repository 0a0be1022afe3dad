using System.Runtime.CompilerServices;
using Deque.AxeCore.Commons;
using Psm.Web.Data.Demo;

namespace Psm.BrowserTests;

/// <summary>One Chromium for the whole run (Debian's, at /usr/bin/chromium; nothing is downloaded).</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public IPlaywright Playwright { get; private set; } = default!;
    public IBrowser Browser { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        SetDefaultExpectTimeout(15_000);
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic",
            ],
        });
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
    }
}

/// <summary>
/// The browser tests' collections. Two lanes side by side (a Chromium each) used both cores, but on clean runs a
/// field's value now and then reached the server after the click that saved it; until the tests wait for what they
/// fill, both names are one collection, and the tests run one at a time.
/// </summary>
public static class BrowserLanes
{
    public const string One = "browser";
    public const string Two = One;
}

[CollectionDefinition(BrowserLanes.One)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>;

/// <summary>A test's own server, browser context and page; screenshots go to artifacts/screenshots.</summary>
public sealed class Session : IAsyncDisposable
{
    public static readonly string ScreenshotFolder = FindScreenshotFolder();
    private readonly string testName;
    private readonly List<string> accessibility = [];
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> AuditedInRun = new();

    private Session(PsmServer server, IBrowserContext context, IPage page, string testName)
    {
        Server = server;
        Context = context;
        Page = page;
        this.testName = testName;
    }

    public PsmServer Server { get; }
    public IBrowserContext Context { get; }
    public IPage Page { get; }

    public static Task<Session> StartAsync(BrowserFixture browser, [CallerMemberName] string testName = "") =>
        StartAsync(browser, null, testName);

    public static async Task<Session> StartAsync(
        BrowserFixture browser, Dictionary<string, string?>? settings, [CallerMemberName] string testName = "")
    {
        var server = new PsmServer(settings);
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = server.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1366, Height = 860 },
            TimezoneId = "Europe/Berlin",
            AcceptDownloads = true,
        });
        return new Session(server, context, await context.NewPageAsync(), testName);
    }

    /// <summary>Runs the test's steps; if one fails, the page as it stood is saved before the failure is reported.</summary>
    public async Task RunAsync(Func<Task> steps)
    {
        // PSM's Content-Security-Policy must block nothing PSM itself serves: a violation fails the test.
        var violations = new List<string>();
        Page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)
                && Page.Url.StartsWith(Server.BaseAddress.ToString().TrimEnd('/'), StringComparison.Ordinal))
            {
                violations.Add(message.Text);
            }
        };
        try
        {
            await steps();
            Assert.True(violations.Count == 0, "The Content-Security-Policy blocked: " + string.Join(" | ", violations));
            if (accessibility.Count > 0)
            {
                File.WriteAllLines(Path.Combine(ScreenshotFolder, TestProvider.Name, $"{testName}-axe.txt"), accessibility);
            }

            Assert.True(
                accessibility.Count == 0,
                "axe-core found serious or critical violations:\n" + string.Join("\n", accessibility));
        }
        catch
        {
            await ScreenshotAsync("FAILED");
            throw;
        }
    }

    /// <summary>
    /// Saves the page as it stands and audits it with axe-core: a serious or critical violation on any page a test looks
    /// at fails that test at its end (after its own assertions, so both are reported).
    /// </summary>
    public async Task ScreenshotAsync(string step)
    {
        await Page.ScreenshotAsync(new PageScreenshotOptions
        {
            Path = Path.Combine(ScreenshotFolder, TestProvider.Name, $"{testName}-{step}.png"),
            FullPage = true,
        });
        if (step != "FAILED" && AuditsPages)
        {
            await AuditAsync(step);
        }
    }

    /// <summary>
    /// Pages are audited in the SQLite run: their markup does not depend on the database, and an audit costs seconds on
    /// two cores (PSM_TEST_AXE=always audits in the PostgreSQL run too, PSM_TEST_AXE=never in neither).
    /// </summary>
    public static bool AuditsPages { get; } = Environment.GetEnvironmentVariable("PSM_TEST_AXE") switch
    {
        "always" => true,
        "never" => false,
        _ => !TestProvider.IsPostgres,
    };

    /// <summary>Runs axe-core on the page as it stands (WCAG 2.x A and AA rules and best practices) and keeps what is serious or critical.</summary>
    public async Task AuditAsync(string step)
    {
        if (!Page.Url.StartsWith(Server.BaseAddress.ToString().TrimEnd('/'), StringComparison.Ordinal))
        {
            return;
        }

        // Snackbars fade in and out, and axe reads a fading one's colours half-blended; their colours are the theme's
        // filled-alert colours, which the pages' own buttons and chips are audited in. Frames are left out: the only one
        // PSM shows is a customer's own mail in a sandbox without scripts, which axe cannot enter (it waited forever).
        // A page is audited once per run for each person who sees it (their role decides the controls it shows) and each
        // state that adds markup (an open dialog); later saves of it, by this test or another, are not: the markup is the same.
        var user = string.Join("", await Page.Locator("[data-testid=signed-in-user]").AllInnerTextsAsync());
        var key = System.Text.RegularExpressions.Regex.Replace(new Uri(Page.Url).AbsolutePath, "[0-9a-f]{8}-[0-9a-f-]{27}", "{id}")
            + "|" + await Page.Locator("[role=dialog]:visible").CountAsync() + "|" + user;
        if (!AuditedInRun.TryAdd(key, 0))
        {
            return;
        }

        foreach (var violation in await FindViolationsAsync())
        {
            accessibility.Add($"[{step}] {new Uri(Page.Url).AbsolutePath} {violation}");
        }
    }

    /// <summary>The serious and critical axe-core violations on the page as it stands, each with its first five nodes.</summary>
    public async Task<IReadOnlyList<string>> FindViolationsAsync()
    {
        if (!await Page.EvaluateAsync<bool>("() => typeof window.axe === 'object'"))
        {
            await Page.EvaluateAsync(AxeSource.Value);
        }

        var violations = System.Text.Json.JsonSerializer.Deserialize<AxeViolation[]>(
            await Page.EvaluateAsync<System.Text.Json.JsonElement>(RunAxeScript), System.Text.Json.JsonSerializerOptions.Web)!;
        return violations.Select(v =>
            $"{v.Id} ({v.Impact}, {v.Count} nodes): {v.Help}\n    " + string.Join("\n    ", v.Nodes.Select(n =>
                $"{n.Target} {Shorten(n.Html)}{(v.Id == "color-contrast" ? " -- " + string.Join("; ", n.Messages) : "")}"))).ToList();
    }

    /// <summary>axe-core as Deque bundles it, evaluated into a page once (over the DevTools protocol, so PSM's CSP allows it).</summary>
    private static readonly Lazy<string> AxeSource = new(() => new BundledAxeScriptProvider().GetScript());

    /// <summary>
    /// Runs axe-core in the page itself, skipping frames and the fading snackbars, and returns only the serious and critical
    /// violations with their first five nodes. (Deque's RunAxe runs a partial audit, then finishes it in a blank page of its
    /// own; on two cores that cost seconds per audit.)
    /// </summary>
    private const string RunAxeScript = """
        async () => {
          const result = await window.axe.run({ exclude: [['.mud-snackbar']] }, { iframes: false, resultTypes: ['violations'] });
          return result.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({
              id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
              nodes: v.nodes.slice(0, 5).map(n => ({ target: n.target.join(' '), html: n.html, messages: n.any.map(c => c.message) })),
            }));
        }
        """;

    private sealed record AxeViolation(string Id, string Impact, string Help, int Count, AxeNode[] Nodes);

    private sealed record AxeNode(string Target, string Html, string[] Messages);

    private static string Shorten(string? html) =>
        html is null ? "" : html.Length <= 160 ? html : html[..160] + "...";

    /// <summary>Clicks made before the Blazor circuit is live are lost: wait for the layout to say it is.</summary>
    public Task WaitUntilInteractiveAsync() =>
        Expect(Page.Locator("[data-interactive='true']")).ToBeVisibleAsync();

    /// <summary>Follows a link in the navigation drawer (once the page is live) and waits for the next page to be live.</summary>
    public async Task NavigateAsync(string link)
    {
        // A click while a reloaded page hands over from its first render to the live circuit can be lost: wait for the circuit first.
        await WaitUntilInteractiveAsync();
        await Page.GetByTestId("nav").GetByRole(AriaRole.Link, new() { Name = link, Exact = true }).ClickAsync();
        await WaitUntilInteractiveAsync();
    }

    public async Task SignInAsync(string email, string password = DemoData.Password)
    {
        await Page.GotoAsync("/account/sign-in");
        await Page.GetByLabel("Email").FillAsync(email);
        await Page.GetByLabel("Password").FillAsync(password);
        await Page.GetByTestId("sign-in").ClickAsync();
    }

    public async Task SignInAndWaitAsync(string email)
    {
        await SignInAsync(email);
        await WaitUntilInteractiveAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
        await Server.DisposeAsync();
    }

    private static string FindScreenshotFolder()
    {
        var folder = Path.Combine(Repository.Root, "artifacts", "screenshots");
        Directory.CreateDirectory(Path.Combine(folder, TestProvider.Name));
        return folder;
    }
}
