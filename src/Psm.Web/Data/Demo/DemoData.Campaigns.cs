using Psm.Web.Features.Alignment;
using Psm.Web.Features.Campaigns;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Roadmap;

namespace Psm.Web.Data.Demo;

/// <summary>
/// Campaigns across stages and goals with a year of daily results: one promotes a feature that is not
/// released, one targets a segment mostly without marketing consent, one pushes acquisition for a product
/// in Decline and underperforms, and an always-on campaign runs the whole year.
/// </summary>
public sealed partial class DemoData
{
    /// <summary>Performance is each campaign's rates against the channel norms (1 = as typical), as planned for the demo.</summary>
    public sealed record PromotionData(
        IReadOnlyList<Segment> Segments, IReadOnlyList<Campaign> Campaigns, IReadOnlyList<CampaignResult> Results, IReadOnlyList<Concern> Concerns,
        IReadOnlyDictionary<Guid, double> Performance);

    /// <summary>Typical daily volume and rates per channel: impressions, engagements per impression, conversions per engagement, cost per impression.</summary>
    private static readonly Dictionary<CampaignChannel, (int Impressions, double Engagement, double Conversion, double Cost)> ChannelNorms = new()
    {
        [CampaignChannel.Email] = (1800, 0.14, 0.05, 0.02),
        [CampaignChannel.Social] = (5200, 0.018, 0.04, 0.006),
        [CampaignChannel.Search] = (2600, 0.045, 0.09, 0.05),
        [CampaignChannel.Events] = (120, 0.45, 0.12, 2.5),
        [CampaignChannel.InApp] = (1500, 0.07, 0.08, 0.002),
        [CampaignChannel.Partners] = (700, 0.03, 0.07, 0.03),
        [CampaignChannel.Other] = (400, 0.03, 0.03, 0.01),
    };

    public PromotionData Promotion(
        DateTimeOffset now, IReadOnlyList<Product> products, IReadOnlyList<Initiative> initiatives, IReadOnlyList<Segment> segments,
        IReadOnlyList<Stakeholder> stakeholders, Guid? ownerId)
    {
        var rng = new Random(seed + 9);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        Product P(string name) => products.Single(p => p.Name == name);
        Initiative I(string name) => initiatives.Single(i => i.Name == name);
        var apac = new Segment
        {
            Id = DeterministicId(rng, now), Version = DeterministicId(rng, now), Name = "Asia-Pacific", CreatedAt = now.AddMonths(-2),
            Description = "Every customer in Asia-Pacific. Many signed up through a partner and never agreed to marketing.",
            Rules = new SegmentRules { Regions = ["Asia-Pacific"] },
        };
        Segment S(string name) => name == apac.Name ? apac : segments.Single(s => s.Name == name);

        var campaigns = new List<Campaign>();
        var results = new List<CampaignResult>();
        var performances = new Dictionary<Guid, double>();

        Campaign Add(string name, string product, CampaignGoal goal, LifecycleStage stage, string? segment, CampaignChannel[] channels, int startDaysAgo,
            int days, CampaignStatus status, decimal budget, string message, string sellingPoint, double performance, int? targetConversions = null,
            params string[] promises)
        {
            var start = today.AddDays(-startDaysAgo);
            var campaign = new Campaign
            {
                Id = DeterministicId(rng, now), Version = DeterministicId(rng, now), Name = name, ProductId = P(product).Id, Goal = goal, PlannedStage = stage,
                SegmentId = segment is null ? null : S(segment).Id, Channels = channels.ToList(), Message = message, SellingPoint = sellingPoint,
                Budget = budget, StartsOn = start, EndsOn = start.AddDays(days - 1), OwnerId = ownerId, Status = status,
                TargetConversions = targetConversions, TargetRevenue = targetConversions * 400m,
                Promises = promises.Select(I).ToList(), CreatedAt = now.AddDays(-startDaysAgo - 21),
            };
            campaigns.Add(campaign);
            performances[campaign.Id] = performance;
            if (status is CampaignStatus.Running or CampaignStatus.Completed)
            {
                var last = campaign.EndsOn < today ? campaign.EndsOn : today.AddDays(-1);
                for (var day = campaign.StartsOn; day <= last; day = day.AddDays(1))
                {
                    foreach (var channel in channels)
                    {
                        var norm = ChannelNorms[channel];
                        var weekend = day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 0.45 : 1.0;
                        var impressions = (long)(norm.Impressions * weekend * (0.75 + rng.NextDouble() * 0.5));
                        var engagements = (long)(impressions * norm.Engagement * performance * (0.8 + rng.NextDouble() * 0.4));
                        var conversions = (long)Math.Round(engagements * norm.Conversion * performance * (0.7 + rng.NextDouble() * 0.6));
                        results.Add(new CampaignResult
                        {
                            Id = DeterministicId(rng, now), CampaignId = campaign.Id, Day = day, Channel = channel, Impressions = impressions,
                            Engagements = engagements, Conversions = conversions, Spend = Math.Round((decimal)(impressions * norm.Cost), 2),
                            Revenue = Math.Round(conversions * (decimal)(250 + rng.NextDouble() * 300), 2),
                            RecordedAt = new DateTimeOffset(day.AddDays(1).ToDateTime(new TimeOnly(6, 0)), TimeSpan.Zero),
                        });
                    }
                }
            }

            return campaign;
        }

        Add("Analytics always-on search", "Northwind Analytics", CampaignGoal.Acquisition, LifecycleStage.Growth, null,
            [CampaignChannel.Search], 365, 400, CampaignStatus.Running, 60_000,
            "Service metrics and customer health in one dashboard.", "No data team needed", 1.0, 900);
        Add("Helpdesk loyalty programme", "Northwind Helpdesk", CampaignGoal.Retention, LifecycleStage.Maturity, "Enterprise accounts",
            [CampaignChannel.Email, CampaignChannel.InApp], 300, 60, CampaignStatus.Completed, 12_000,
            "Thank you for five years: renew early and get Premium Support for a quarter.", "Every ticket answered inside its SLA", 1.15, 60);
        Add("Legacy CRM spring acquisition push", "Northwind Legacy CRM", CampaignGoal.Acquisition, LifecycleStage.Decline, null,
            [CampaignChannel.Search, CampaignChannel.Social], 200, 45, CampaignStatus.Completed, 20_000,
            "The CRM trusted for a decade, now at a new low price.", "Proven processes", 0.45, 150);
        Add("Analytics trial webinars", "Northwind Analytics", CampaignGoal.Awareness, LifecycleStage.Growth, null,
            [CampaignChannel.Events, CampaignChannel.Social], 28, 21, CampaignStatus.Completed, 15_000,
            "See customer health for your own accounts in a two-week trial, with onboarding included.", "No data team needed", 1.1, 80,
            "Analytics trial onboarding");
        Add("Field Service early access", "Northwind Field Service", CampaignGoal.Awareness, LifecycleStage.Introduction, null,
            [CampaignChannel.Events, CampaignChannel.Partners], 40, 70, CampaignStatus.Running, 9_000,
            "How dispatch, parts and visit reports fit in one tool: join the early-access tour.", "Built for technicians on the road", 1.0, 20);
        Add("Asia-Pacific win-back", "Northwind Helpdesk", CampaignGoal.WinBack, LifecycleStage.Maturity, "Asia-Pacific",
            [CampaignChannel.Email], 20, 45, CampaignStatus.Running, 4_000,
            "We have moved our support hours to your time zone: come back for three months at half price.", "Every ticket answered inside its SLA", 0.9, 25);
        Add("Helpdesk on the go", "Northwind Helpdesk", CampaignGoal.Expansion, LifecycleStage.Maturity, "European Pro",
            [CampaignChannel.Email, CampaignChannel.Social], -10, 30, CampaignStatus.Scheduled, 8_000,
            "Answer every ticket from your phone with the Helpdesk mobile app, and let guided answers solve the rest.", "Help centre with guided answers",
            1.0, 40, "Help centre with guided answers");
        Add("Premium Support upsell", "Northwind Helpdesk", CampaignGoal.Expansion, LifecycleStage.Maturity, "High value",
            [CampaignChannel.InApp], -35, 30, CampaignStatus.Draft, 3_000,
            "Upgrade to Premium Support: a named engineer and a one-hour first response.", "A named engineer", 1.0, 30,
            "Premium Support upsell in-app");

        var legacy = campaigns.Single(c => c.Name == "Legacy CRM spring acquisition push");
        var onTheGo = campaigns.Single(c => c.Name == "Helpdesk on the go");
        var concerns = new List<Concern>
        {
            new()
            {
                Id = DeterministicId(rng, now), StakeholderId = stakeholders.Single(s => s.Name == "Stefan Finance").Id, Subject = ConcernSubject.Campaign,
                SubjectId = legacy.Id, Stance = Stance.Opposes, Text = "Spending on new Legacy CRM customers while we plan its retirement.",
                Status = ConcernStatus.Open, CreatedAt = now.AddDays(-190), RecordedBy = "stakeholder@northwind.test",
            },
            new()
            {
                Id = DeterministicId(rng, now), StakeholderId = stakeholders.Single(s => s.Name == "Sam Support").Id, Subject = ConcernSubject.Campaign,
                SubjectId = onTheGo.Id, Stance = Stance.Concerned, Text = "Customers are complaining about the mobile app losing notes; promoting it now invites tickets.",
                Status = ConcernStatus.Open, CreatedAt = now.AddDays(-3), RecordedBy = "agent@northwind.test",
            },
        };
        return new PromotionData([apac], campaigns, results, concerns, performances);
    }

    /// <summary>
    /// Brings each campaign's reported results in line with the business behind them: a campaign is credited with a share
    /// of the product's orders in its window (more for one that performs well), never more conversions than those orders
    /// (nor, for retention and expansion, than the customers it could reach), and attributed revenue at most that share
    /// of the product's order revenue. Targets are what the plan expected, so a campaign that did well is above them.
    /// </summary>
    public static void Reconcile(
        PromotionData promotion, IEnumerable<Segment> otherSegments, IReadOnlyList<Features.Commerce.Order> orders, IReadOnlyList<Customer> customers)
    {
        var rng = new Random(4242);
        var segments = promotion.Segments.Concat(otherSegments).ToDictionary(s => s.Id);
        foreach (var campaign in promotion.Campaigns)
        {
            var rows = promotion.Results.Where(r => r.CampaignId == campaign.Id).ToList();
            if (rows.Count == 0)
            {
                continue; // not started: its plan stands as written
            }

            var inWindow = orders.Where(o => o.ProductId == campaign.ProductId && o.Currency == "EUR" && o.OrderedOn >= campaign.StartsOn && o.OrderedOn <= campaign.EndsOn).ToList();
            var performance = promotion.Performance.GetValueOrDefault(campaign.Id, 1.0);
            var share = Math.Clamp(0.1 + 0.3 * performance, 0.1, 0.5);
            var conversions = (long)Math.Floor(inWindow.Count * share);
            if (campaign.Goal is CampaignGoal.Retention or CampaignGoal.Expansion)
            {
                var matched = campaign.SegmentId is { } id && segments.GetValueOrDefault(id) is { } segment
                    ? segment.Rules.Apply(customers.AsQueryable()).Where(c => c.MarketingConsent && c.ProfilingConsent)
                    : customers.AsQueryable().Where(c => c.MarketingConsent);
                conversions = Math.Min(conversions, matched.Count());
            }

            var revenueCap = Math.Round(inWindow.Sum(o => o.Amount) * (decimal)share, 2);
            // Spread the credited conversions over the days and channels in proportion to what was reported: each one lands
            // on a row drawn with the reported conversions as weights, never more than the row's engagements.
            var weights = rows.Select(r => (double)r.Conversions).ToArray();
            foreach (var row in rows)
            {
                row.Conversions = 0;
            }

            var total = weights.Sum();
            for (var k = 0; k < conversions && total > 0; k++)
            {
                var pick = rng.NextDouble() * total;
                var index = 0;
                while (index < weights.Length - 1 && (pick -= weights[index]) >= 0)
                {
                    index++;
                }

                if (rows[index].Conversions < rows[index].Engagements)
                {
                    rows[index].Conversions++;
                }
            }

            var credited = rows.Sum(r => r.Conversions);
            var perConversion = credited == 0 ? 0 : revenueCap / credited;
            foreach (var row in rows)
            {
                row.Revenue = Math.Round(row.Conversions * perConversion * (decimal)(0.85 + rng.NextDouble() * 0.15), 2);
            }

            // The plan expected what a campaign performing as planned would bring: a strong one ends above it, a weak one below.
            if (campaign.TargetConversions is not null)
            {
                var expected = Math.Max(1, (int)Math.Round(Math.Max(credited, 1) / performance));
                campaign.TargetConversions = expected;
                campaign.TargetRevenue = Math.Round(expected * (perConversion == 0 ? 400 : perConversion), 0);
            }
        }
    }
}
