using System.Globalization;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Roadmap;

namespace Psm.Web.Features.Campaigns;

public enum FitArea { Stage, Promises, Message, Audience }

public enum FitLevel { Ok, Warning, Problem }

/// <summary>One fit check's verdict and the reason for it, in words a marketer and a product manager both read.</summary>
public sealed record FitCheck(FitArea Area, FitLevel Level, string Title, string Reason);

/// <summary>A feature a campaign promises, as the roadmap has it now.</summary>
public sealed record PromisedFeature(Guid Id, string Name, InitiativeStatus Status, DateOnly? PlannedEnd, DateOnly? ReleasedOn);

/// <summary>A theme customers raise about the product: how often, how they feel, and whether the campaign's message touches it.</summary>
public sealed record ThemeSignal(string Name, int Mentions, double? AverageSentiment, bool InMessage);

public sealed record FitInput(
    CampaignGoal Goal, LifecycleStage PlannedStage, LifecycleStage CurrentStage, DateOnly StartsOn, IReadOnlyList<PromisedFeature> Promises,
    IReadOnlyList<ThemeSignal> Themes, AudienceCount Audience, bool TargetsSegment);

/// <summary>
/// Whether a campaign fits its product and its customers. Pure: each check is unit-tested on
/// hand-built cases, and the API and the page show the same verdicts.
/// </summary>
public static class CampaignFit
{
    /// <summary>Feedback themes below this average sentiment are complaints: customers say something is missing or broken.</summary>
    public const double ComplaintSentiment = -0.1;

    public static IReadOnlyList<FitCheck> Check(FitInput input)
    {
        var checks = new List<FitCheck> { GoalForStage(input.Goal, input.CurrentStage) };
        if (input.PlannedStage != input.CurrentStage)
        {
            checks.Add(new FitCheck(FitArea.Stage, FitLevel.Warning, "The product changed stage since planning",
                $"It was in {input.PlannedStage} when the campaign was planned and is in {input.CurrentStage} now; the goal was chosen for the old stage."));
        }

        checks.AddRange(Promises(input.Promises, input.StartsOn));
        checks.Add(Message(input.Themes));
        checks.Add(Audience(input.Audience, input.TargetsSegment));
        return checks;
    }

    /// <summary>How well a goal suits a lifecycle stage.</summary>
    public static FitCheck GoalForStage(CampaignGoal goal, LifecycleStage stage)
    {
        var (level, reason) = (stage, goal) switch
        {
            (LifecycleStage.Retired, _) => (FitLevel.Problem, "The product is retired: it gets no new campaigns. Existing customers are supported or migrated."),
            (LifecycleStage.Introduction, CampaignGoal.Awareness) => (FitLevel.Ok, "A new product first needs to be known and understood: awareness and education suit Introduction."),
            (LifecycleStage.Introduction, CampaignGoal.Acquisition) => (FitLevel.Warning, "Pushing sales before the market understands the problem the product solves: pair it with education content, or win reference customers first."),
            (LifecycleStage.Introduction, CampaignGoal.WinBack) => (FitLevel.Problem, "A product in Introduction has no lapsed customers to win back."),
            (LifecycleStage.Introduction, _) => (FitLevel.Warning, "Too early: a product in Introduction has few customers to expand or retain; educate the market first."),
            (LifecycleStage.Growth, CampaignGoal.Awareness or CampaignGoal.Acquisition or CampaignGoal.Expansion) => (FitLevel.Ok, "Growth is the time to win share: awareness, acquisition and expansion suit it."),
            (LifecycleStage.Growth, _) => (FitLevel.Warning, "In Growth the larger return is usually in winning new customers; retention and win-back matter more later."),
            (LifecycleStage.Maturity, CampaignGoal.Expansion or CampaignGoal.Retention or CampaignGoal.WinBack) => (FitLevel.Ok, "Maturity calls for defending share: retention, upsell and cross-sell, winning back those who left."),
            (LifecycleStage.Maturity, _) => (FitLevel.Warning, "The market is saturated: new customers are costly to win in Maturity; loyalty and expansion usually pay better."),
            (LifecycleStage.Decline, CampaignGoal.Retention) => (FitLevel.Ok, "In Decline, keeping the profitable niche (or moving it to a successor) is the sound goal."),
            (LifecycleStage.Decline, CampaignGoal.Acquisition or CampaignGoal.Awareness) => (FitLevel.Problem, "An acquisition or awareness push for a product in Decline spends on customers the product will not keep: harvest, focus on a niche, or promote the successor."),
            (LifecycleStage.Decline, _) => (FitLevel.Warning, "A product in Decline rarely justifies expansion or win-back spend; check the niche it serves first."),
            _ => (FitLevel.Ok, ""),
        };
        return new FitCheck(FitArea.Stage, level, $"{Describe(goal)} for a product in {stage}", reason);
    }

    /// <summary>Promises vs reality: every promised feature should be released before the campaign starts.</summary>
    public static IEnumerable<FitCheck> Promises(IReadOnlyList<PromisedFeature> promises, DateOnly startsOn)
    {
        if (promises.Count == 0)
        {
            yield return new FitCheck(FitArea.Promises, FitLevel.Ok, "Promises no specific feature", "The campaign links no roadmap initiative, so nothing it promises can be late.");
            yield break;
        }

        foreach (var p in promises)
        {
            yield return p switch
            {
                { Status: InitiativeStatus.Released or InitiativeStatus.Measuring or InitiativeStatus.Done } =>
                    new FitCheck(FitArea.Promises, FitLevel.Ok, $"{p.Name} is released",
                        p.ReleasedOn is { } on ? $"Released on {Day(on)}." : "Released."),
                { Status: InitiativeStatus.Dropped } =>
                    new FitCheck(FitArea.Promises, FitLevel.Problem, $"{p.Name} was dropped", "The campaign promises a feature the roadmap no longer plans to build."),
                { PlannedEnd: null } =>
                    new FitCheck(FitArea.Promises, FitLevel.Problem, $"{p.Name} is not released and has no date",
                        $"It is {p.Status} with no planned end: marketing is ahead of the product's capabilities."),
                { PlannedEnd: { } end } when end >= startsOn =>
                    new FitCheck(FitArea.Promises, FitLevel.Problem, $"{p.Name} ships after the campaign starts",
                        $"It is planned to finish on {Day(end)}, on or after the campaign starts on {Day(startsOn)}: marketing is ahead of the product's capabilities."),
                _ =>
                    new FitCheck(FitArea.Promises, FitLevel.Warning, $"{p.Name} is not released yet",
                        $"It is {p.Status}, planned to finish on {Day(p.PlannedEnd!.Value)}, before the campaign starts on {Day(startsOn)}; make sure it ships."),
            };
        }
    }

    /// <summary>Message vs evidence: a message should not stress what customers say is missing or broken.</summary>
    public static FitCheck Message(IReadOnlyList<ThemeSignal> themes)
    {
        var complaints = themes.Where(t => t.InMessage && t.AverageSentiment < ComplaintSentiment).OrderByDescending(t => t.Mentions).ToList();
        if (complaints.Count > 0)
        {
            var list = string.Join("; ", complaints.Select(t => $"'{t.Name}' ({t.Mentions} mentions, average sentiment {t.AverageSentiment:+0.00;-0.00})"));
            return new FitCheck(FitArea.Message, FitLevel.Warning, "The message stresses what customers complain about",
                $"Customers raise {list} about this product, and mostly negatively: the campaign would sell what they say is missing or broken.");
        }

        var touched = themes.Where(t => t.InMessage).Select(t => $"'{t.Name}'").ToList();
        if (touched.Count > 0)
        {
            return new FitCheck(FitArea.Message, FitLevel.Ok, "The message matches what customers value",
                $"It touches {string.Join(", ", touched)}, which customers raise without complaint.");
        }

        var top = themes.OrderByDescending(t => t.Mentions).Take(3).Select(t => $"'{t.Name}' ({t.Mentions})").ToList();
        return new FitCheck(FitArea.Message, FitLevel.Ok, "The message touches none of the themes customers raise",
            top.Count == 0 ? "There is no recent themed feedback on this product to compare with." : $"What customers raise most: {string.Join(", ", top)}.");
    }

    /// <summary>Audience vs consent: only customers who agreed to marketing count; warn when most are left out.</summary>
    public static FitCheck Audience(AudienceCount audience, bool targetsSegment)
    {
        var who = targetsSegment ? "the segment" : "the customer base";
        if (audience.Matched == 0)
        {
            return new FitCheck(FitArea.Audience, FitLevel.Problem, "Nobody to reach", $"No active customer is in {who}.");
        }

        var share = (double)audience.LeftOut / audience.Matched;
        var text = $"{audience.Audience} of {audience.Matched} customers in {who} can be reached ({audience.Contacts} contacts); " +
                   $"{audience.LeftOut} ({share:P0}) are left out for lack of consent.";
        return share >= 0.5
            ? new FitCheck(FitArea.Audience, FitLevel.Warning, "The audience is mostly without consent", text)
            : new FitCheck(FitArea.Audience, FitLevel.Ok, "Audience with consent", text);
    }

    public static string Describe(CampaignGoal goal) => goal switch
    {
        CampaignGoal.WinBack => "Win-back",
        CampaignGoal.Retention => "Retention/loyalty",
        _ => goal.ToString(),
    };

    private static string Day(DateOnly day) => day.ToString("d MMM yyyy", CultureInfo.InvariantCulture);
}

/// <summary>Totals of results, and the rates computed from them (null when the denominator is zero).</summary>
public sealed record ResultTotals(long Impressions, long Engagements, long Conversions, decimal Spend, decimal Revenue)
{
    public static readonly ResultTotals Zero = new(0, 0, 0, 0, 0);

    /// <summary>Engagements per impression, in %.</summary>
    public double? EngagementRate => Impressions == 0 ? null : 100.0 * Engagements / Impressions;

    /// <summary>Conversions per engagement, in %.</summary>
    public double? ConversionRate => Engagements == 0 ? null : 100.0 * Conversions / Engagements;

    /// <summary>Cost per acquisition: spend per conversion.</summary>
    public decimal? CostPerAcquisition => Conversions == 0 ? null : Math.Round(Spend / Conversions, 2);

    /// <summary>Return on spend: attributed revenue per unit spent.</summary>
    public double? ReturnOnSpend => Spend == 0 ? null : (double)(Revenue / Spend);

    public ResultTotals Add(ResultTotals other) => new(
        Impressions + other.Impressions, Engagements + other.Engagements, Conversions + other.Conversions, Spend + other.Spend, Revenue + other.Revenue);
}

/// <summary>A rate well below what is typical for the product or the channel.</summary>
public sealed record PerformanceFlag(string Rate, string Scope, double Value, double Typical, string Reason);

public static class Underperformance
{
    /// <summary>Whether a campaign with at least one target (conversions, revenue) has reached all it set.</summary>
    public static bool TargetsMet(ResultTotals totals, int? targetConversions, decimal? targetRevenue) =>
        (targetConversions is not null || targetRevenue is not null)
        && (targetConversions is not { } c || totals.Conversions >= c)
        && (targetRevenue is not { } r || totals.Revenue >= r);

    /// <summary>A rate under this share of the typical one is flagged.</summary>
    public const double Threshold = 0.75;

    /// <summary>Fewer impressions than this is too little to judge.</summary>
    public const long MinimumImpressions = 1_000;

    /// <summary>
    /// Compares the campaign's engagement and conversion rates with the pooled rates of other
    /// campaigns (for the same product, and on the same channel). A campaign that has reached every
    /// target it set is never flagged, whatever its rates.
    /// </summary>
    public static IReadOnlyList<PerformanceFlag> Assess(
        ResultTotals own, ResultTotals productTypical, IReadOnlyDictionary<CampaignChannel, (ResultTotals Own, ResultTotals Typical)> channels,
        bool targetsMet = false)
    {
        var flags = new List<PerformanceFlag>();
        if (targetsMet)
        {
            return flags;
        }

        Compare(flags, own, productTypical, "for this product");
        foreach (var (channel, (mine, typical)) in channels.OrderBy(c => c.Key))
        {
            Compare(flags, mine, typical, $"on {channel}");
        }

        return flags;
    }

    private static void Compare(List<PerformanceFlag> flags, ResultTotals own, ResultTotals typical, string scope)
    {
        if (own.Impressions < MinimumImpressions || typical.Impressions < MinimumImpressions)
        {
            return;
        }

        Flag(flags, "Engagement rate", scope, own.EngagementRate, typical.EngagementRate);
        Flag(flags, "Conversion rate", scope, own.ConversionRate, typical.ConversionRate);
    }

    private static void Flag(List<PerformanceFlag> flags, string rate, string scope, double? value, double? typical)
    {
        if (value is { } v && typical is { } t && t > 0 && v < t * Threshold)
        {
            flags.Add(new PerformanceFlag(rate, scope, Math.Round(v, 2), Math.Round(t, 2),
                string.Create(CultureInfo.InvariantCulture, $"{rate} {v:0.##} % is below the typical {t:0.##} % {scope} (flagged under {Threshold:P0} of typical).")));
        }
    }
}

/// <summary>A reported result that cannot be true as it stands, with the figures that show it.</summary>
public sealed record ConsistencyWarning(string Check, string Reason);

/// <summary>What a campaign's results are checked against, gathered from the rest of PSM.</summary>
public sealed record ConsistencyFacts(
    CampaignGoal Goal, DateOnly StartsOn, DateOnly EndsOn, ResultTotals Totals, DateOnly? FirstResultDay, DateOnly? LastResultDay,
    decimal ProductRevenue, string Currency, int ReachableAudience);

/// <summary>
/// Checks PSM runs on every campaign's results (shown on the campaign and returned by the API): attributed
/// revenue cannot exceed what the product's customers paid in the campaign's window, a retention or expansion
/// campaign cannot convert more customers than it could reach, and results must fall within the campaign's days.
/// </summary>
public static class CampaignConsistency
{
    public static IReadOnlyList<ConsistencyWarning> Check(ConsistencyFacts f)
    {
        var warnings = new List<ConsistencyWarning>();
        if (f.Totals.Revenue > f.ProductRevenue)
        {
            warnings.Add(new ConsistencyWarning("Revenue",
                $"Attributed revenue {f.Totals.Revenue:N0} is more than the product's whole order revenue in the campaign's window " +
                $"({f.StartsOn:d MMM yyyy} to {f.EndsOn:d MMM yyyy}): {f.ProductRevenue:N0} {f.Currency}."));
        }

        if (f.Goal is CampaignGoal.Retention or CampaignGoal.Expansion && f.Totals.Conversions > f.ReachableAudience)
        {
            warnings.Add(new ConsistencyWarning("Conversions",
                $"{f.Totals.Conversions:N0} conversions for a {CampaignFit.Describe(f.Goal).ToLowerInvariant()} campaign, which speaks to existing customers, " +
                $"but only {f.ReachableAudience:N0} could be reached."));
        }

        if (f.FirstResultDay < f.StartsOn || f.LastResultDay > f.EndsOn)
        {
            warnings.Add(new ConsistencyWarning("Dates",
                $"Results are dated {f.FirstResultDay:d MMM yyyy} to {f.LastResultDay:d MMM yyyy}, outside the campaign's days ({f.StartsOn:d MMM yyyy} to {f.EndsOn:d MMM yyyy})."));
        }

        return warnings;
    }
}
