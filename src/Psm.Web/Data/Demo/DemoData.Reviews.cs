using Psm.Web.Features.Alignment;
using Psm.Web.Features.Roadmap;
using Psm.Web.Features.Strategy;

namespace Psm.Web.Data.Demo;

/// <summary>The roadmap's history: two past quarterly reviews, retrospectives, leadership's weights, expected key results, a shared link.</summary>
public sealed partial class DemoData
{
    public sealed record RoadmapHistory(
        IReadOnlyList<RoadmapReview> Reviews, IReadOnlyList<Retrospective> Retrospectives, IReadOnlyList<TypeWeight> Weights,
        IReadOnlyList<InitiativeKeyResult> ExpectedKeyResults, RoadmapShare Share);

    public RoadmapHistory History(DateTimeOffset now, IReadOnlyList<Initiative> initiatives, IReadOnlyList<Objective> objectives)
    {
        var rng = new Random(seed + 7);
        var today = DateOnly.FromDateTime(now.UtcDateTime);

        RoadmapReview Review(string title, int daysAgo, Func<Initiative, ReviewSnapshotItem?> snapshot, string decisions, params (string Text, string Owner, int DueInDays, ActionStatus Status)[] actions)
        {
            var held = today.AddDays(-daysAgo);
            var at = new DateTimeOffset(held.ToDateTime(new TimeOnly(15, 0)), TimeSpan.Zero);
            var review = new RoadmapReview
            {
                Id = DeterministicId(rng, at), Title = title, HeldOn = held, CreatedAt = at, CreatedBy = "Priya Patel",
                Attendees = "Priya Patel (product), Sam Support (support), Dana Finance (finance), Lena Legal (legal)",
                Notes = "Walked the board column by column; checked each initiative against its objective and the feedback behind it.",
                Decisions = decisions,
            };
            var items = initiatives.Select(snapshot).Where(s => s is not null).Select(s => s!).ToList();
            var ranks = ReviewDiff.Ranks(items.Select(s => (s.InitiativeId, s.Status, s.RiceScore)));
            foreach (var item in items)
            {
                item.ReviewId = review.Id;
                item.Rank = ranks.TryGetValue(item.InitiativeId, out var rank) ? rank : null;
            }

            review.Snapshot = items;
            review.ActionItems = actions.Select(a => new ActionItem
            {
                Id = DeterministicId(rng, at), ReviewId = review.Id, Text = a.Text, Owner = a.Owner, DueOn = held.AddDays(a.DueInDays), Status = a.Status,
            }).ToList();
            return review;
        }

        ReviewSnapshotItem Snap(Initiative i, InitiativeStatus? status = null, int shiftDays = 0, decimal riceFactor = 1, Moscow? moscow = null) => new()
        {
            InitiativeId = i.Id, Title = i.Name, Status = status ?? i.Status, PlannedStart = i.PlannedStart?.AddDays(shiftDays),
            PlannedEnd = i.PlannedEnd?.AddDays(shiftDays), RiceScore = i.RiceScore is { } r ? Math.Round(r * riceFactor, 2) : null,
            Moscow = moscow ?? i.Moscow, WeightedScore = i.WeightedScore, ObjectiveIds = string.Join(',', i.Objectives.Select(o => o.ObjectiveId)),
        };

        Initiative Named(string title) => initiatives.Single(i => i.Name == title);
        var newer = new[] { "Data onboarding templates", "SLA breach alerts by SMS" };

        var q2 = Review("Q2 roadmap review", 150,
            i => newer.Contains(i.Name) ? null
                : i.Name == "Mobile app for managers" ? Snap(i, InitiativeStatus.Planned, moscow: Moscow.Should)
                : i.Name == "Help centre with guided answers" ? Snap(i, InitiativeStatus.Planned, shiftDays: -30, riceFactor: 0.8m)
                : i.Name == "Analytics trial onboarding" ? Snap(i, InitiativeStatus.InProgress)
                : i.Name == "Premium Support upsell in-app" ? Snap(i, moscow: Moscow.Could)
                : Snap(i, i.Status is InitiativeStatus.Released or InitiativeStatus.Measuring or InitiativeStatus.Done ? InitiativeStatus.InProgress : null),
            "Drop nothing yet; give the help centre a month more. Review the managers' mobile app against the objectives next quarter.",
            ("Re-estimate the help centre with support", "Sam Support", 14, ActionStatus.Done),
            ("Collect evidence for the managers' mobile app", "Priya Patel", 45, ActionStatus.Done));
        var q3 = Review("Q3 roadmap review", 60,
            i => i.Name == "SLA breach alerts by SMS" ? null
                : i.Name == "Field Service offline mode" ? Snap(i, shiftDays: 30)
                : i.Name == "First-response routing rules" ? Snap(i, riceFactor: 0.75m)
                : Snap(i),
            "Drop the managers' mobile app: no objective and little evidence. Offline mode waits a month for the sync service.",
            ("Tell the three customers who asked for the managers' app", "Sam Support", 10, ActionStatus.Done),
            ("Find a date for the sync service", "Priya Patel", 30, ActionStatus.Open));

        var released = Named("Analytics trial onboarding");
        var retroAt = new DateTimeOffset(released.ReleasedOn!.Value.AddDays(14).ToDateTime(new TimeOnly(10, 0)), TimeSpan.Zero);
        var retros = new List<Retrospective>
        {
            new()
            {
                Id = DeterministicId(rng, retroAt), Title = "Analytics trial onboarding, two weeks after release", HeldOn = released.ReleasedOn!.Value.AddDays(14),
                InitiativeId = released.Id, CreatedAt = retroAt,
                WentWell = "Trial sign-ups finished setup twice as often; support tickets about setup fell.",
                ToImprove = "The data import step still loses people; we measured too late to adjust before release.",
                ActionItems =
                [
                    new() { Id = DeterministicId(rng, retroAt), Text = "Instrument the import step before the next release", Owner = "Priya Patel", DueOn = today.AddDays(-5), Status = ActionStatus.Open },
                    new() { Id = DeterministicId(rng, retroAt), Text = "Share the onboarding results with sales", Owner = "Dana Finance", DueOn = today.AddDays(-40), Status = ActionStatus.Done },
                ],
            },
            new()
            {
                Id = DeterministicId(rng, retroAt), Title = "After the Q3 review", HeldOn = q3.HeldOn.AddDays(2), ReviewId = q3.Id, CreatedAt = retroAt,
                WentWell = "Every initiative had an owner and an objective; the drop decision took ten minutes with the evidence on screen.",
                ToImprove = "Legal heard about the call recording plan late.",
                ActionItems = [new() { Id = DeterministicId(rng, retroAt), Text = "Invite legal to the next review", Owner = "Priya Patel", DueOn = today.AddDays(20), Status = ActionStatus.Open }],
            },
        };

        var weights = new List<TypeWeight>
        {
            new() { Type = ObjectiveType.Financial, Percent = 30 }, new() { Type = ObjectiveType.CustomerSatisfaction, Percent = 35 },
            new() { Type = ObjectiveType.OperationalEfficiency, Percent = 20 }, new() { Type = ObjectiveType.MarketPositioning, Percent = 15 },
        };

        // Released initiatives name the first key result of each objective they serve.
        var expected = initiatives.Where(i => i.ReleasedOn is not null)
            .SelectMany(i => i.Objectives.Select(o => objectives.Single(x => x.Id == o.ObjectiveId).KeyResults.FirstOrDefault())
                .Where(k => k is not null).Select(k => new InitiativeKeyResult { InitiativeId = i.Id, KeyResultId = k!.Id }))
            .ToList();

        var share = new RoadmapShare
        {
            Id = DeterministicId(rng, now), Title = "Northwind roadmap for the customer advisory board", Statuses = "Planned,InProgress,Released",
            ShowDates = false, ShowOwners = false, ShowScores = false, ShowProblem = true, CreatedAt = now, CreatedBy = "Priya Patel",
        };
        return new RoadmapHistory([q2, q3], retros, weights, expected, share);
    }
}
