using System.Net;
using System.Net.Http.Json;
using Psm.Web.Features.Alignment;
using Psm.Web.Features.Roadmap;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Auth;

namespace Psm.IntegrationTests;

public sealed class AlignmentApiTests
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);

    [Fact]
    public async Task ComputesTheScoreFromEffortAndListsTheGaps()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));

        async Task<ObjectiveDto> ActiveObjective(string title, bool withKeyResult)
        {
            var o = await (await pm.PostAsJsonAsync("/api/v1/objectives", new { title, periodStart = Today.AddDays(-10), periodEnd = Today.AddDays(80) }))
                .ReadAsync<ObjectiveDto>();
            if (withKeyResult)
            {
                await pm.PostAsJsonAsync($"/api/v1/objectives/{o.Summary.Id}/key-results",
                    new { title = "Measure", metricKey = "manual", baseline = 0, target = 10, direction = "Up" });
            }

            await pm.PostAsJsonAsync($"/api/v1/objectives/{o.Summary.Id}/activate", new { confirmSmartFailures = true });
            return o;
        }

        async Task Initiative(string title, decimal effort, Guid? serves)
        {
            var body = new
            {
                title, plannedStart = Today, plannedEnd = Today.AddDays(30),
                objectives = serves is { } id ? new[] { new { objectiveId = id, contribution = "" } } : [],
            };
            var i = await (await pm.PostAsJsonAsync("/api/v1/initiatives", body)).ReadAsync<InitiativeDto>();
            await pm.PutAsJsonAsync($"/api/v1/initiatives/{i.Summary.Id}/scores", new { reach = 1, impact = 1, confidence = 100, effort });
            (await pm.PostAsJsonAsync($"/api/v1/initiatives/{i.Summary.Id}/status", new { status = "InProgress" })).EnsureSuccessStatusCode();
        }

        var measured = await ActiveObjective("Raise satisfaction measurably", withKeyResult: true);
        await ActiveObjective("Be loved by everyone", withKeyResult: false);
        await Initiative("Serves the strategy", 6, measured.Summary.Id);
        await Initiative("Pet project", 2, null);

        var report = await pm.GetFromJsonAsync<AlignmentDto>("/api/v1/alignment", Json.Options);
        var window = $"from={Today:yyyy-MM-dd}&to={Today.AddDays(1):yyyy-MM-dd}";
        var score = await pm.GetFromJsonAsync<MetricValue>($"/api/v1/metrics/alignment.score/value?{window}", Json.Options);
        var offStrategy = await pm.GetFromJsonAsync<MetricValue>($"/api/v1/metrics/alignment.initiatives_off_strategy/value?{window}", Json.Options);

        Assert.Equal(75, report!.ScorePercent);
        Assert.Equal(8m, report.TotalEffort);
        Assert.Equal(["Be loved by everyone"], report.ObjectivesNoInitiativeServes.Select(o => o.Name));
        Assert.Equal(["Pet project"], report.InitiativesOutsideTheStrategy.Select(i => i.Name));
        Assert.Equal(["Be loved by everyone"], report.ObjectivesWithoutKeyResults.Select(o => o.Name));
        Assert.Equal(75, score!.Value);
        Assert.Equal(1, offStrategy!.Value);
    }
}

public sealed class AlignmentRecordsApiTests
{
    [Fact]
    public async Task LetsAStakeholderRecordAConcernButNotADecision()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        using var stakeholder = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));
        var me = await stakeholder.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>("/api/v1/me");
        var legal = await (await pm.PostAsJsonAsync("/api/v1/stakeholders",
            new { name = "Lena Legal", department = "Legal", role = "Counsel", influence = 4, interest = 5, userId = (string)me!["id"]! })).ReadAsync<StakeholderDto>();
        var initiative = await (await pm.PostAsJsonAsync("/api/v1/initiatives", new { title = "Call recording" })).ReadAsync<InitiativeDto>();

        var concern = await stakeholder.PostAsJsonAsync("/api/v1/concerns", new
        {
            stakeholderId = legal.Id, subject = "Initiative", subjectId = initiative.Summary.Id, stance = "Opposes",
            text = "Recording calls needs consent in three of our markets.",
        });
        var decision = await stakeholder.PostAsJsonAsync("/api/v1/decisions",
            new { title = "x", outcome = "y", rationale = "z", decidedBy = "me" });

        Assert.Equal(HttpStatusCode.Created, concern.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, decision.StatusCode);
        var listed = await pm.GetFromJsonAsync<List<ConcernDto>>(
            $"/api/v1/concerns?subject=Initiative&subjectId={initiative.Summary.Id}", Json.Options);
        var only = Assert.Single(listed!);
        Assert.Equal(Stance.Opposes, only.Stance);
        Assert.Equal(Department.Legal, only.Department);
        Assert.Equal(PsmServer.EmailOf(Roles.Stakeholder), only.RecordedBy);
    }

    [Fact]
    public async Task KeepsTheDissentThatRemainsOnADecision()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var finance = await (await pm.PostAsJsonAsync("/api/v1/stakeholders", new { name = "Stefan", department = "Finance" })).ReadAsync<StakeholderDto>();
        var sales = await (await pm.PostAsJsonAsync("/api/v1/stakeholders", new { name = "Sara", department = "Sales" })).ReadAsync<StakeholderDto>();
        var decision = await (await pm.PostAsJsonAsync("/api/v1/decisions", new
        {
            title = "Sunset Classic Mail", context = "Few users, high cost.", optionsConsidered = "Keep; sunset; sell.",
            outcome = "Sunset by year end.", rationale = "Cost to serve exceeds revenue.", decidedBy = "Leadership team",
            consultedStakeholderIds = new[] { finance.Id, sales.Id },
        })).ReadAsync<DecisionDto>();
        var dissent = await (await pm.PostAsJsonAsync("/api/v1/concerns", new
        {
            stakeholderId = sales.Id, subject = "Decision", subjectId = decision.Id, stance = "Opposes", text = "Two large accounts still use it.",
        })).ReadAsync<ConcernDto>();
        await pm.PostAsJsonAsync("/api/v1/concerns", new
        {
            stakeholderId = finance.Id, subject = "Decision", subjectId = decision.Id, stance = "Concerned", text = "Migration cost unclear.",
        });

        var read = await pm.GetFromJsonAsync<DecisionDto>($"/api/v1/decisions/{decision.Id}", Json.Options);
        Assert.Equal(2, read!.RemainingConcerns.Count);
        Assert.Equal(["Sara", "Stefan"], read.Consulted.Select(c => c.Name).Order());

        // The decision log exports as CSV with what the page shows.
        var csv = (await pm.GetStringAsync("/api/v1/decisions/export.csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("decided_on,title,outcome,decided_by", csv[0]);
        Assert.Equal(2, csv.Length);
        Assert.Contains("Sunset Classic Mail,Sunset by year end.,Leadership team", csv[1]);
        Assert.EndsWith($",2,{decision.Id}", csv[1].TrimEnd('\r'));

        await pm.PostAsJsonAsync($"/api/v1/concerns/{dissent.Id}/status", new { status = "AcceptedAsRisk" });
        var financeConcern = read.RemainingConcerns.Single(c => c.StakeholderName == "Stefan");
        await pm.PostAsJsonAsync($"/api/v1/concerns/{financeConcern.Id}/status", new { status = "Addressed" });
        var after = await pm.GetFromJsonAsync<DecisionDto>($"/api/v1/decisions/{decision.Id}", Json.Options);
        var remaining = Assert.Single(after!.RemainingConcerns);
        Assert.Equal(ConcernStatus.AcceptedAsRisk, remaining.Status);

        // A decision that links an initiative also carries the concerns still open on that initiative.
        var initiative = await (await pm.PostAsJsonAsync("/api/v1/initiatives", new { title = "Classic Mail export tool" })).ReadAsync<InitiativeDto>();
        var onInitiative = await (await pm.PostAsJsonAsync("/api/v1/concerns", new
        {
            stakeholderId = finance.Id, subject = "Initiative", subjectId = initiative.Summary.Id, stance = "Concerned", text = "Who pays for the tool?",
        })).ReadAsync<ConcernDto>();
        var linked = await (await pm.PostAsJsonAsync("/api/v1/decisions", new
        {
            title = "Build the export tool", context = "Customers need their mail.", outcome = "Build it.", rationale = "Retiring needs it.",
            decidedBy = "Leadership team", initiativeIds = new[] { initiative.Summary.Id },
        })).ReadAsync<DecisionDto>();
        Assert.Equal(onInitiative.Id, Assert.Single(linked.RemainingConcerns).Id);
        await pm.PostAsJsonAsync($"/api/v1/concerns/{onInitiative.Id}/status", new { status = "Addressed" });
        Assert.Empty((await pm.GetFromJsonAsync<DecisionDto>($"/api/v1/decisions/{linked.Id}", Json.Options))!.RemainingConcerns);
    }

    [Fact]
    public async Task ListsOpenOppositionAndDepartmentsNeverConsulted()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        async Task<StakeholderDto> Person(string name, string department) =>
            await (await pm.PostAsJsonAsync("/api/v1/stakeholders", new { name, department })).ReadAsync<StakeholderDto>();
        var legal = await Person("Lena", "Legal");
        var finance = await Person("Stefan", "Finance");
        await Person("Sara", "Sales");
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var initiative = await (await pm.PostAsJsonAsync("/api/v1/initiatives",
            new { title = "Call recording", plannedStart = today, plannedEnd = today.AddDays(30) })).ReadAsync<InitiativeDto>();
        await pm.PostAsJsonAsync($"/api/v1/initiatives/{initiative.Summary.Id}/status", new { status = "InProgress" });
        var opposition = await (await pm.PostAsJsonAsync("/api/v1/concerns", new
        {
            stakeholderId = legal.Id, subject = "Initiative", subjectId = initiative.Summary.Id, stance = "Opposes", text = "Consent.",
        })).ReadAsync<ConcernDto>();
        await pm.PostAsJsonAsync("/api/v1/decisions", new
        {
            title = "Go ahead with consent", outcome = "Yes", rationale = "Value outweighs cost.", decidedBy = "PM",
            consultedStakeholderIds = new[] { finance.Id }, initiativeIds = new[] { initiative.Summary.Id },
        });

        var report = await pm.GetFromJsonAsync<AlignmentDto>("/api/v1/alignment", Json.Options);

        Assert.Equal(["Call recording"], report!.InitiativesWithOpenOpposition.Select(i => i.Name));
        var gap = Assert.Single(report.DepartmentsNeverConsulted);
        Assert.Equal([Department.Sales], gap.Departments);

        await pm.PostAsJsonAsync($"/api/v1/concerns/{opposition.Id}/status", new { status = "Addressed" });
        var after = await pm.GetFromJsonAsync<AlignmentDto>("/api/v1/alignment", Json.Options);
        Assert.Empty(after!.InitiativesWithOpenOpposition);
    }

    [Fact]
    public async Task Returns400GivenADecisionWithoutRationaleOrAConcernOnNothing()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var someone = await (await pm.PostAsJsonAsync("/api/v1/stakeholders", new { name = "Someone", department = "Other" })).ReadAsync<StakeholderDto>();

        var noRationale = await pm.PostAsJsonAsync("/api/v1/decisions", new { title = "T", outcome = "O", rationale = "", decidedBy = "Me" });
        var nowhere = await pm.PostAsJsonAsync("/api/v1/concerns",
            new { stakeholderId = someone.Id, subject = "Initiative", subjectId = Guid.NewGuid(), stance = "Neutral", text = "Hm." });
        var badInfluence = await pm.PostAsJsonAsync("/api/v1/stakeholders", new { name = "Big", department = "Sales", influence = 9 });

        Assert.Contains("Rationale", (await noRationale.ReadAsync<ProblemBody>()).Errors!.Keys);
        Assert.Contains("SubjectId", (await nowhere.ReadAsync<ProblemBody>()).Errors!.Keys);
        Assert.Contains("Influence", (await badInfluence.ReadAsync<ProblemBody>()).Errors!.Keys);
    }
}
