using System.Globalization;
using Microsoft.EntityFrameworkCore;
using PdfSharp.Drawing;
using PdfSharp.Drawing.Layout;
using PdfSharp.Fonts;
using PdfSharp.Pdf;
using Psm.Web.Data;
using Psm.Web.Features.Alignment;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.Roadmap;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Insights;

/// <summary>What a quarterly business review holds, gathered from every area for one quarter, for the company or one product.</summary>
public sealed record BusinessReviewContent(
    string Company, string? Product, int Year, int Quarter, DateOnly From, DateOnly To, IReadOnlyList<ObjectiveSummaryDto> Objectives, IReadOnlyList<KpiCard> Kpis,
    IReadOnlyList<ThemeSeries> Themes, string? LastReview, IReadOnlyList<RoadmapChange> RoadmapChanges, IReadOnlyList<DecisionLine> Decisions,
    IReadOnlyList<OpenConcern> Concerns);

public sealed record RoadmapChange(string Initiative, string From, string To);

public sealed record OpenConcern(string Stakeholder, string Stance, string Text);

/// <summary>
/// The quarterly business review as a PDF (PDFsharp, MIT): objectives and their progress, the KPIs of the quarter against the
/// quarter before with their trend, the top feedback themes, what moved on the roadmap since the last review, the decisions
/// of the quarter and the concerns still open. Fonts are DejaVu, read from the system (Debian's fonts-dejavu-core).
/// </summary>
public sealed class BusinessReviews(Infrastructure.Persistence.ReportingDbFactory dbs, CompanyDashboard dashboard, Objectives objectives, FeedbackAnalysis analysis, TimeProvider time)
{
    public static readonly string[] Keys =
    [
        "survey.nps", "survey.csat", "commerce.churn_rate", "commerce.mrr", "commerce.repeat_purchase_rate", "service.sla_compliance",
        "service.first_response_median", "campaign.return_on_spend",
    ];

    /// <summary>The last complete quarter before today.</summary>
    public (int Year, int Quarter) LastQuarter()
    {
        var start = Buckets.StartOf(DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime), Granularity.Quarter).AddMonths(-3);
        return (start.Year, ((start.Month - 1) / 3) + 1);
    }

    public async Task<BusinessReviewContent> GatherAsync(int year, int quarter, Guid? productId, CancellationToken ct = default)
    {
        if (quarter is < 1 or > 4)
        {
            throw new RequestValidationException("quarter", "Quarter must be 1, 2, 3 or 4.");
        }

        if (year is < 2000 or > 2100)
        {
            throw new RequestValidationException("year", "Year must be between 2000 and 2100.");
        }

        var from = new DateOnly(year, ((quarter - 1) * 3) + 1, 1);
        var to = from.AddMonths(3);
        if (from > DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime))
        {
            throw new RequestValidationException("quarter", "That quarter has not begun.");
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        string? product = null;
        if (productId is { } id)
        {
            product = await db.Products.AsNoTracking().Where(p => p.Id == id).Select(p => p.Name).SingleOrDefaultAsync(ct)
                      ?? throw new RequestValidationException("productId", "There is no such product.");
        }

        var company = await db.Set<HelpCentre.HelpCentreSettings>().AsNoTracking().Select(s => s.CompanyName).FirstOrDefaultAsync(ct) is { Length: > 0 } name
            ? name : "Your company";
        var active = (await objectives.ActiveOnAsync(db, to.AddDays(-1) < DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime) ? to.AddDays(-1) : DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime), ct))
            .OrderByDescending(o => o.AtRisk).ThenBy(o => o.Title).ToList();
        var kpis = await dashboard.CardsAsync(Keys, from, to, from.AddMonths(-3), ct, productId);

        var themes = (await analysis.AnalyseAsync(new AnalysisQuery(from, to, Granularity.Quarter, ProductId: productId), ct)).Themes.Take(6).ToList();

        // What moved on the roadmap since the last review held before the quarter ended.
        var review = await db.RoadmapReviews.AsNoTracking().Include(r => r.Snapshot).Where(r => r.HeldOn < to).OrderByDescending(r => r.HeldOn)
            .FirstOrDefaultAsync(ct);
        var changes = new List<RoadmapChange>();
        if (review is not null)
        {
            var initiatives = db.Initiatives.AsNoTracking();
            if (productId is { } p)
            {
                initiatives = initiatives.Where(i => i.Products.Any(x => x.Id == p));
            }

            var now = await initiatives.Select(i => new { i.Id, i.Name, i.Status }).ToListAsync(ct);
            var then = review.Snapshot.ToDictionary(s => s.InitiativeId, s => s.Status);
            changes.AddRange(now.Where(i => !then.ContainsKey(i.Id)).Select(i => new RoadmapChange(i.Name, "not on the roadmap", Roadmap.Roadmap.Describe(i.Status))));
            changes.AddRange(now.Where(i => then.TryGetValue(i.Id, out var s) && s != i.Status)
                .Select(i => new RoadmapChange(i.Name, Roadmap.Roadmap.Describe(then[i.Id]), Roadmap.Roadmap.Describe(i.Status))));
            changes = changes.OrderBy(c => c.Initiative, StringComparer.CurrentCulture).ToList();
        }

        var decisions = await db.Decisions.AsNoTracking().Where(d => d.DecidedOn >= from && d.DecidedOn < to).OrderBy(d => d.DecidedOn)
            .Select(d => new DecisionLine(d.Id, d.Title, d.DecidedOn, d.Outcome)).ToListAsync(ct);
        var concerns = (await db.Concerns.AsNoTracking().Where(c => c.Status == ConcernStatus.Open).OrderBy(c => c.CreatedAt)
                .Select(c => new { Stakeholder = c.Stakeholder!.Name, c.Stance, c.Text }).ToListAsync(ct))
            .Select(c => new OpenConcern(c.Stakeholder, c.Stance.ToString(), c.Text)).ToList();
        return new BusinessReviewContent(company, product, year, quarter, from, to, active, kpis, themes,
            review is null ? null : $"{review.Title} ({review.HeldOn:d MMM yyyy})", changes, decisions, concerns);
    }

    public async Task<byte[]> RenderAsync(int year, int quarter, Guid? productId, CancellationToken ct = default)
    {
        var content = await GatherAsync(year, quarter, productId, ct);
        return ReviewPdf.Render(content, time.GetUtcNow());
    }
}

/// <summary>Draws the review on A4 pages: a cursor moves down the page, and a new page starts when the next block does not fit.</summary>
internal sealed class ReviewPdf
{
    private const double Margin = 50;
    private static readonly XColor Ink = XColor.FromArgb(0x17, 0x32, 0x5c);
    private static readonly XColor Muted = XColor.FromArgb(0x5f, 0x63, 0x68);
    private static readonly XColor Accent = XColor.FromArgb(0x1f, 0x5f, 0xbf);
    private static readonly XColor Better = XColor.FromArgb(0x1b, 0x7f, 0x3b);
    private static readonly XColor Worse = XColor.FromArgb(0xb3, 0x26, 0x1e);
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    private readonly PdfDocument document = new();
    private readonly XFont title = new(DejaVuFonts.Family, 22, XFontStyleEx.Bold);
    private readonly XFont heading = new(DejaVuFonts.Family, 13, XFontStyleEx.Bold);
    private readonly XFont body = new(DejaVuFonts.Family, 9.5, XFontStyleEx.Regular);
    private readonly XFont bold = new(DejaVuFonts.Family, 9.5, XFontStyleEx.Bold);
    private readonly XFont small = new(DejaVuFonts.Family, 7.5, XFontStyleEx.Regular);
    private readonly XFont figure = new(DejaVuFonts.Family, 11.5, XFontStyleEx.Bold);
    private XGraphics gfx = null!;
    private PdfPage page = null!;
    private double y;

    private ReviewPdf()
    {
    }

    private double Width => page.Width.Point - (2 * Margin);

    public static byte[] Render(BusinessReviewContent c, DateTimeOffset now)
    {
        DejaVuFonts.Register();
        var pdf = new ReviewPdf();
        pdf.document.Info.Title = $"Quarterly business review Q{c.Quarter} {c.Year}{(c.Product is null ? "" : $": {c.Product}")}";
        pdf.document.Info.Author = "PSM";
        pdf.NewPage();
        pdf.Write(c, now);
        pdf.gfx.Dispose();
        using var stream = new MemoryStream();
        pdf.document.Save(stream, closeStream: false);
        return stream.ToArray();
    }

    private void NewPage()
    {
        gfx?.Dispose();
        page = document.AddPage();
        page.Size = PdfSharp.PageSize.A4;
        gfx = XGraphics.FromPdfPage(page);
        y = Margin;
    }

    private void Need(double height)
    {
        if (y + height > page.Height.Point - Margin)
        {
            NewPage();
        }
    }

    private void Text(string text, XFont font, XColor colour, double x = 0, double? width = null)
    {
        var w = width ?? Width - x;
        var lines = Lines(text, font, w);
        var height = lines * font.GetHeight() * 1.15;
        Need(height);
        new XTextFormatter(gfx).DrawString(text, font, new XSolidBrush(colour), new XRect(Margin + x, y, w, height), XStringFormats.TopLeft);
        y += height;
    }

    /// <summary>How many lines a text takes in a width, breaking between words as the formatter does.</summary>
    private int Lines(string text, XFont font, double width)
    {
        var lines = 0;
        foreach (var paragraph in text.Split('\n'))
        {
            var line = "";
            lines++;
            foreach (var word in paragraph.Split(' '))
            {
                var candidate = line.Length == 0 ? word : line + " " + word;
                if (line.Length > 0 && gfx.MeasureString(candidate, font).Width > width)
                {
                    lines++;
                    line = word;
                }
                else
                {
                    line = candidate;
                }
            }
        }

        return lines;
    }

    private void Heading(string text)
    {
        Need(60);
        y += 14;
        Text(text, heading, Ink);
        gfx.DrawLine(new XPen(XColor.FromArgb(0xd6, 0xdb, 0xe3), 0.8), Margin, y + 2, Margin + Width, y + 2);
        y += 8;
    }

    private void Write(BusinessReviewContent c, DateTimeOffset now)
    {
        Text(c.Company, body, Muted);
        Text($"Quarterly business review, Q{c.Quarter} {c.Year}", title, Ink);
        Text(c.Product is null ? "The whole company" : $"Product: {c.Product}", heading, Accent);
        Text($"{c.From:d MMMM yyyy} to {c.To.AddDays(-1):d MMMM yyyy}, against the quarter before. Made by PSM on {now:d MMMM yyyy} from the records it holds; " +
             "each figure is a registry metric, defined below it.", body, Muted);

        Heading("Objectives");
        if (c.Objectives.Count == 0)
        {
            Text("No objective was active at the quarter's end.", body, Muted);
        }

        foreach (var o in c.Objectives)
        {
            Need(30);
            var top = y;
            Text(o.Title + (o.AtRisk ? "  (at risk)" : ""), o.AtRisk ? bold : body, o.AtRisk ? Worse : Ink, 0, Width - 170);
            var progress = Math.Clamp(o.Progress ?? 0, 0, 100);
            gfx.DrawRectangle(new XSolidBrush(XColor.FromArgb(0xe8, 0xee, 0xf9)), Margin + Width - 160, top + 2, 120, 8);
            gfx.DrawRectangle(new XSolidBrush(o.AtRisk ? Worse : Accent), Margin + Width - 160, top + 2, 120 * progress / 100, 8);
            gfx.DrawString(o.Progress is { } p ? $"{p:0} %" : "—", body, new XSolidBrush(Ink), new XRect(Margin + Width - 35, top, 35, 12), XStringFormats.TopRight);
            y = Math.Max(y, top + 14) + 3;
        }

        Heading("Key figures");
        foreach (var k in c.Kpis)
        {
            Kpi(k);
        }

        Heading("What customers talked about");
        if (c.Themes.Count == 0)
        {
            Text("No feedback with a theme in the quarter.", body, Muted);
        }

        foreach (var t in c.Themes)
        {
            Text(string.Create(C, $"{t.Name}: {t.Items} items, average sentiment {t.AverageSentiment:+0.00;-0.00;0.00}"), body, Ink);
        }

        Heading("Roadmap since the last review");
        Text(c.LastReview is null ? "No review has been held yet." : $"Against {c.LastReview}: {(c.RoadmapChanges.Count == 0 ? "nothing moved." : $"{c.RoadmapChanges.Count} changes.")}",
            body, Muted);
        foreach (var change in c.RoadmapChanges.Take(25))
        {
            Text($"{change.Initiative}: {change.From} → {change.To}", body, Ink);
        }

        Heading("Decisions in the quarter");
        if (c.Decisions.Count == 0)
        {
            Text("None recorded.", body, Muted);
        }

        foreach (var d in c.Decisions)
        {
            Text($"{d.DecidedOn:d MMM yyyy}  {d.Title}", bold, Ink);
            Text(d.Outcome, body, Muted, 12);
        }

        Heading("Concerns still open");
        if (c.Concerns.Count == 0)
        {
            Text("None.", body, Muted);
        }

        foreach (var concern in c.Concerns)
        {
            Text($"{concern.Stakeholder} ({concern.Stance.ToLowerInvariant()}): {concern.Text}", body, Ink);
        }
    }

    /// <summary>A KPI: name, the quarter's figure against the one before with the test, its definition, and twelve months as a line.</summary>
    private void Kpi(KpiCard k)
    {
        Need(70);
        var top = y;
        var textWidth = Width - 190;
        Text(k.Name, bold, Ink, 0, textWidth);
        var line = FigureText.Format(k.Value, k.Unit);
        if (k.Change is { } change)
        {
            var direction = FigureText.Direction(change.Difference, k.Better);
            line += $"   {FigureText.Change(change.Difference, k.Unit)} on the quarter before ({FigureText.Format(k.Previous, k.Unit)})";
            Text(line, figure, direction > 0 ? Better : direction < 0 ? Worse : Ink, 0, textWidth);
            Text(change.Test, small, Muted, 0, textWidth);
        }
        else
        {
            Text(line, figure, Ink, 0, textWidth);
        }

        if (k.Target is { } target)
        {
            Text($"Target {FigureText.Format((double)target.Value, k.Unit)}: {target.KeyResult}", small, Muted, 0, textWidth);
        }

        Text(k.Definition, small, Muted, 0, textWidth);
        Chart(k.Trend, k.Unit, Margin + Width - 175, top + 2, 175, 52);
        y = Math.Max(y, top + 60) + 8;
    }

    private void Chart(IReadOnlyList<MetricPoint> trend, string unit, double x, double top, double width, double height)
    {
        var points = trend.Select((p, i) => (i, p.Value)).Where(p => p.Value is not null).ToList();
        gfx.DrawRectangle(new XPen(XColor.FromArgb(0xe3, 0xe6, 0xec), 0.6), x, top, width, height);
        if (points.Count < 2)
        {
            gfx.DrawString("no monthly trend", small, new XSolidBrush(Muted), new XRect(x, top, width, height), XStringFormats.Center);
            return;
        }

        var (min, max) = (points.Min(p => p.Value!.Value), points.Max(p => p.Value!.Value));
        double X(int i) => x + 6 + ((width - 12) * i / (double)Math.Max(trend.Count - 1, 1));
        double Y(double v) => max == min ? top + (height / 2) : top + 12 + ((height - 22) * (max - v) / (max - min));
        gfx.DrawLines(new XPen(Accent, 1.4), points.Select(p => new XPoint(X(p.i), Y(p.Value!.Value))).ToArray());
        gfx.DrawString($"high {FigureText.Format(max, unit)}", small, new XSolidBrush(Muted), new XRect(x + 4, top + 1, width - 8, 10), XStringFormats.TopLeft);
        gfx.DrawString($"{trend[0].Bucket:MMM yy} – {trend[^1].Bucket:MMM yy}", small, new XSolidBrush(Muted), new XRect(x + 4, top + height - 10, width - 8, 10), XStringFormats.TopRight);
    }
}

/// <summary>DejaVu Sans from the system's fonts, for PDFsharp (which finds no fonts by itself on Linux).</summary>
public sealed class DejaVuFonts : IFontResolver
{
    public const string Family = "DejaVu Sans";

    private static readonly string[] Folders = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts"];
    private static readonly Lock Gate = new();
    private static bool registered;

    public static bool Available => Find("DejaVuSans.ttf") is not null;

    public static void Register()
    {
        lock (Gate)
        {
            if (registered)
            {
                return;
            }

            if (!Available)
            {
                throw new RequestValidationException("font",
                    "The PDF needs the DejaVu fonts, which this server does not have: install Debian's fonts-dejavu-core and try again.");
            }

            GlobalFontSettings.FontResolver = new DejaVuFonts();
            registered = true;
        }
    }

    private static string? Find(string file) => Folders.Select(f => Path.Combine(f, file)).FirstOrDefault(File.Exists);

    public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool italic) =>
        new(bold ? "DejaVuSans-Bold.ttf" : "DejaVuSans.ttf", false, italic);

    public byte[]? GetFont(string faceName) => Find(faceName) is { } path ? File.ReadAllBytes(path) : Find("DejaVuSans.ttf") is { } fallback ? File.ReadAllBytes(fallback) : null;
}

/// <summary>A person's wish to get the quarterly business review by e-mail, for the company (no product) or one product.</summary>
public sealed class ReviewSubscription
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid UserId { get; set; }
    public Guid? ProductId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>One review mailed for one quarter: the unique (subscription, year, quarter) index keeps it to one.</summary>
[NotAudited]
public sealed class ReviewDelivery
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid SubscriptionId { get; set; }
    public int Year { get; set; }
    public int Quarter { get; set; }
    public Guid? MailMessageId { get; set; }
    public DateTimeOffset At { get; set; }
}

public sealed record ReviewSubscriptionDto(Guid Id, NamedRef? Product, DateTimeOffset CreatedAt, string? LastSent);

public sealed class ReviewSubscriptionInput
{
    /// <summary>The product the review is about; none for the whole company.</summary>
    public Guid? ProductId { get; set; }
}

/// <summary>
/// Mails each subscriber the review of the last complete quarter once, as a PDF attachment from the first enabled mailbox
/// (nothing is mailed without one). Runs under a lease; the delivery row and the mail are saved together.
/// </summary>
public sealed class ReviewMail(IDbContextFactory<PsmDb> dbs, BusinessReviews reviews, Infrastructure.Auth.CurrentUser user, PublicAddress address, TimeProvider time)
{
    public async Task<IReadOnlyList<ReviewSubscriptionDto>> MineAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var me = user.Actor.UserId ?? Guid.Empty;
        var rows = await db.ReviewSubscriptions.AsNoTracking().Where(s => s.UserId == me).OrderBy(s => s.CreatedAt)
            .Select(s => new
            {
                s.Id, s.ProductId, Product = db.Products.Where(p => p.Id == s.ProductId).Select(p => p.Name).FirstOrDefault(), s.CreatedAt,
                Last = db.ReviewDeliveries.Where(d => d.SubscriptionId == s.Id).OrderByDescending(d => d.Year).ThenByDescending(d => d.Quarter)
                    .Select(d => new { d.Year, d.Quarter }).FirstOrDefault(),
            }).ToListAsync(ct);
        return rows.Select(r => new ReviewSubscriptionDto(r.Id, r.ProductId is { } p ? new NamedRef(p, r.Product ?? "(removed)") : null, r.CreatedAt,
            r.Last is null ? null : $"Q{r.Last.Quarter} {r.Last.Year}")).ToList();
    }

    public async Task<ReviewSubscriptionDto> SubscribeAsync(ReviewSubscriptionInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var me = user.Actor.UserId ?? throw new RequestValidationException("user", "Only a signed-in person can subscribe.");
        if (input.ProductId is { } product && !await db.Products.AnyAsync(p => p.Id == product, ct))
        {
            throw new RequestValidationException("productId", "There is no such product.");
        }

        if (await db.ReviewSubscriptions.AnyAsync(s => s.UserId == me && s.ProductId == input.ProductId, ct))
        {
            throw new RequestValidationException("productId", "You already get this review by e-mail.");
        }

        var subscription = new ReviewSubscription { UserId = me, ProductId = input.ProductId, CreatedAt = time.GetUtcNow() };
        db.ReviewSubscriptions.Add(subscription);
        await db.SaveChangesAsync(ct);
        return (await MineAsync(ct)).Single(s => s.Id == subscription.Id);
    }

    public async Task<bool> UnsubscribeAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var me = user.Actor.UserId ?? Guid.Empty;
        return await db.ReviewSubscriptions.Where(s => s.Id == id && s.UserId == me).ExecuteDeleteAsync(ct) == 1;
    }

    /// <summary>Mails the last complete quarter's review to every subscriber who has not had it; returns how many were queued.</summary>
    public async Task<int> SendDueAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var now = time.GetUtcNow();
        if (!DejaVuFonts.Available || await Mail.OutgoingMail.FirstEnabledAsync(db, ct) is not { } mailbox
            || !await Leases.TryTakeAsync(db, "business-review-mail", Leases.ThisInstance, TimeSpan.FromMinutes(10), now, ct))
        {
            return 0;
        }

        var (year, quarter) = reviews.LastQuarter();
        var due = await db.ReviewSubscriptions.AsNoTracking()
            .Where(s => !db.ReviewDeliveries.Any(d => d.SubscriptionId == s.Id && d.Year == year && d.Quarter == quarter))
            .Join(db.Users.Where(u => u.DeactivatedAt == null && u.Email != null), s => s.UserId, u => u.Id, (s, u) => new { s.Id, s.ProductId, u.Email, u.DisplayName })
            .ToListAsync(ct);
        var queued = 0;
        foreach (var s in due)
        {
            db.ChangeTracker.Clear();
            var pdf = await reviews.RenderAsync(year, quarter, s.ProductId, ct);
            var product = s.ProductId is { } id ? await db.Products.AsNoTracking().Where(p => p.Id == id).Select(p => p.Name).FirstOrDefaultAsync(ct) : null;
            var about = product is null ? "the company" : product;
            var message = Mail.OutgoingMail.Queue(db, mailbox, s.Email!, $"Quarterly business review Q{quarter} {year}: {about}",
                $"Hello {s.DisplayName},\n\nthe quarterly business review of {about} for Q{quarter} {year} is attached as a PDF.\n\n" +
                $"Download it again or another quarter at {address.Base}/insights/review; stop these mails there too.", now);
            db.MailAttachments.Add(new Mail.MailAttachment
            {
                MailMessageId = message.Id, FileName = $"business-review-{year}-q{quarter}.pdf", ContentType = "application/pdf", Size = pdf.Length, Content = pdf,
            });
            db.ReviewDeliveries.Add(new ReviewDelivery { SubscriptionId = s.Id, Year = year, Quarter = quarter, MailMessageId = message.Id, At = now });
            try
            {
                await db.SaveChangesAsync(ct);
                queued++;
            }
            catch (DbUpdateException)
            {
                // Mailed meanwhile (the unique index): nothing of this attempt is kept.
            }
        }

        await Leases.ReleaseAsync(db, "business-review-mail", Leases.ThisInstance, ct);
        return queued;
    }
}

/// <summary>Looks every <c>BusinessReview:MailHours</c> (6 by default; 0 turns it off) for reviews due to subscribers.</summary>
public sealed class ReviewMailJob(IServiceScopeFactory scopes, IConfiguration config, ILogger<ReviewMailJob> logger) : Infrastructure.PeriodicJob(scopes, logger)
{
    protected override TimeSpan Period => TimeSpan.FromHours(config.GetValue("BusinessReview:MailHours", 6.0));

    protected override string What => "Mailing quarterly business reviews";

    protected override Task RunAsync(IServiceProvider services, CancellationToken ct) => services.GetRequiredService<ReviewMail>().SendDueAsync(ct);
}

internal sealed class ReviewMailConfiguration : IEntityTypeConfiguration<ReviewSubscription>, IEntityTypeConfiguration<ReviewDelivery>
{
    public void Configure(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<ReviewSubscription> subscription)
    {
        subscription.ToTable("ReviewSubscriptions");
        subscription.HasIndex(s => new { s.UserId, s.ProductId });
    }

    public void Configure(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<ReviewDelivery> delivery)
    {
        delivery.ToTable("ReviewDeliveries");
        delivery.HasIndex(d => new { d.SubscriptionId, d.Year, d.Quarter }).IsUnique();
        delivery.HasOne<ReviewSubscription>().WithMany().HasForeignKey(d => d.SubscriptionId).OnDelete(DeleteBehavior.Cascade);
    }
}
