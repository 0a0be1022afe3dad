using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Roadmap;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Auth;

namespace Psm.Web.Data.Demo;

/// <summary>A person the demo company employs, who can sign in with <see cref="DemoData.Password"/>.</summary>
public sealed record DemoUser(string Email, string DisplayName, string Role);

/// <summary>
/// The one generator of demo data: a fictional software company, Northwind Cloud, its staff and its
/// customers. Fixed seed, so every run, test and benchmark sees the same company; <c>scale</c>
/// multiplies the volume. Later areas extend it.
/// </summary>
public sealed partial class DemoData(int scale = 1, int seed = 20261122)
{
    public const string CompanyName = "Northwind Cloud";
    public const string Password = "Demo-pass-2026";
    public const int CustomersPerScale = 250;

    public int Scale { get; } = scale >= 1 ? scale : throw new ArgumentOutOfRangeException(nameof(scale), "Scale must be at least 1.");

    public static IReadOnlyList<DemoUser> Users { get; } =
    [
        new("admin@northwind.test", "Avery Admin", Roles.Admin),
        new("pm@northwind.test", "Priya Patel", Roles.ProductManager),
        new("lead@northwind.test", "Lena Lead", Roles.SupportLead),
        new("agent@northwind.test", "Sam Support", Roles.SupportAgent),
        new("marketer@northwind.test", "Mia Marketing", Roles.Marketer),
        new("stakeholder@northwind.test", "Stefan Finance", Roles.Stakeholder),
    ];

    /// <summary>The demo user who holds a role (one each).</summary>
    public static string EmailOf(string role) => Users.Single(u => u.Role == role).Email;

    private static readonly string[] NameStarts =
    [
        "Acme", "Blue", "Cedar", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper", "Kestrel", "Lumen",
        "Maple", "Nimbus", "Orchid", "Pioneer", "Quartz", "Redwood", "Summit", "Tidal", "Umbra", "Vertex", "Willow", "Zephyr",
    ];

    private static readonly string[] NameEnds =
    [
        "Analytics", "Bank", "Clinic", "Logistics", "Foods", "Labs", "Media", "Motors", "Outfitters", "Partners",
        "Retail", "Robotics", "Systems", "Travel", "Utilities", "Ventures",
    ];

    private static readonly (string Code, int Weight)[] Countries =
    [
        ("US", 30), ("GB", 12), ("DE", 12), ("FR", 8), ("NL", 6), ("SE", 4), ("ES", 5), ("IT", 5), ("CA", 6),
        ("AU", 4), ("JP", 3), ("BR", 3), ("IN", 2),
    ];

    private static readonly (string Code, int Weight)[] Plans = [("Starter", 50), ("Pro", 35), ("Enterprise", 15)];

    private static string RegionOf(string country) => country switch
    {
        "US" or "CA" or "BR" => "Americas",
        "AU" or "JP" or "IN" => "Asia-Pacific",
        _ => "Europe",
    };

    private static readonly string[] Industries =
    [
        "Software", "Retail", "Healthcare", "Finance", "Manufacturing", "Logistics", "Education", "Media", "Energy", "Travel",
    ];

    /// <summary>The company's customers, oldest first, created over the three years before <paramref name="now"/>.</summary>
    public IEnumerable<Customer> Customers(DateTimeOffset now) => Customers(CustomersPerScale * Scale, now);

    public IEnumerable<Customer> Customers(int count, DateTimeOffset now)
    {
        var rng = new Random(seed);
        var start = now.AddYears(-3);
        var span = (now - start).Ticks;
        // Every first-and-last-word pair once, in a seeded order, before any name repeats with a number.
        var names = NameStarts.SelectMany(first => NameEnds.Select(last => $"{first} {last}")).ToArray();
        rng.Shuffle(names);
        for (var i = 0; i < count; i++)
        {
            var name = names[i % names.Length];
            var round = i / names.Length;
            if (round > 0)
            {
                name += $" {round + 1}";
            }

            var createdAt = start.AddTicks(span / count * i + rng.NextInt64(span / count));
            createdAt = new DateTimeOffset(createdAt.Ticks - (createdAt.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
            var country = Pick(rng, Countries);
            var plan = Pick(rng, Plans);
            var consent = rng.Next(100);
            var customer = new Customer
            {
                Id = DeterministicId(rng, createdAt),
                Version = DeterministicId(rng, createdAt),
                Name = name,
                Email = $"contact{i}@{name.ToLowerInvariant().Replace(' ', '-')}.example",
                Country = country,
                Industry = Industries[rng.Next(Industries.Length)],
                // Company sizes are heavy-tailed: most are small, a few are very large.
                Employees = (int)Math.Clamp(Math.Exp(rng.NextDouble() * 9.5 + 1.6), 5, 200_000),
                ExternalRef = $"NW-{i + 1:D6}",
                Plan = plan,
                Region = RegionOf(country),
                SignupDate = DateOnly.FromDateTime(createdAt.UtcDateTime),
                PersonaId = PersonaIds[i % PersonaIds.Length],
                // Consent in every state: most agreed to both, some only to profiling, some to neither.
                // Asia-Pacific customers mostly came through a partner and rarely agreed to marketing.
                ProfilingConsent = consent < 85,
                MarketingConsent = RegionOf(country) == "Asia-Pacific" ? consent % 3 == 0 && consent < 85 : consent < 60,
                // Survey invitations: agreed at signup by most; fewer than profiling, more than marketing.
                SurveyConsent = consent < 75,
                CreatedAt = createdAt,
            };
            yield return customer;
        }
    }

    /// <summary>Northwind Cloud's products and services, one at each lifecycle stage, with their history.</summary>
    public (IReadOnlyList<Product> Products, IReadOnlyList<LifecycleChange> History) Catalog(DateTimeOffset now, Guid? ownerId)
    {
        var rng = new Random(seed + 1);
        var products = new List<Product>();
        var history = new List<LifecycleChange>();

        // Each entry: name, USP, description, stage path with months ago, services (name, kind, stage path).
        var plans = new (string Name, string Usp, string Description, (LifecycleStage Stage, int MonthsAgo, string Why)[] Path,
            (string Name, ServiceKind Kind, (LifecycleStage Stage, int MonthsAgo, string Why)[] Path)[] Services)[]
        {
            ("Northwind Helpdesk", "Every ticket answered inside its SLA, across email, chat and phone.",
                "The customer service desk for mid-sized companies.",
                [(LifecycleStage.Introduction, 40, "Launched."), (LifecycleStage.Growth, 30, "Passed 100 paying customers."),
                 (LifecycleStage.Maturity, 10, "New sales flattened; most revenue is renewals.")],
                [("Premium Support", ServiceKind.Support, [(LifecycleStage.Introduction, 36, "Launched."), (LifecycleStage.Maturity, 10, "Follows the product.")]),
                 ("Helpdesk Onboarding", ServiceKind.Onboarding, [(LifecycleStage.Growth, 30, "Launched with the growth plan."), (LifecycleStage.Maturity, 8, "Standardised.")]),
                 ("Admin Training", ServiceKind.Training, [(LifecycleStage.Introduction, 14, "Launched."), (LifecycleStage.Growth, 4, "Demand from enterprise accounts.")]),
                 ("Helpdesk Subscription", ServiceKind.Subscription, [(LifecycleStage.Growth, 40, "Launched."), (LifecycleStage.Maturity, 10, "Follows the product.")])]),
            ("Northwind Analytics", "Service metrics and customer health in one dashboard, no data team needed.",
                "Reporting and customer-health analytics on top of the helpdesk and CRM data.",
                [(LifecycleStage.Introduction, 18, "Launched at the spring conference."), (LifecycleStage.Growth, 6, "Win rate above 30 %.")],
                [("Implementation Consulting", ServiceKind.Consulting, [(LifecycleStage.Growth, 12, "Launched for large accounts.")]),
                 ("Analytics Subscription", ServiceKind.Subscription, [(LifecycleStage.Introduction, 18, "Launched."), (LifecycleStage.Growth, 6, "Follows the product.")]),
                 ("Data Onboarding", ServiceKind.Onboarding, [(LifecycleStage.Introduction, 3, "Pilot with five customers.")])]),
            ("Northwind Field Service", "Dispatch, parts and visit reports for technicians on the road.",
                "Mobile field-service management, in early access.",
                [(LifecycleStage.Introduction, 2, "Early access opened.")],
                [("Pilot Onboarding", ServiceKind.Onboarding, [(LifecycleStage.Introduction, 2, "Launched with early access.")]),
                 ("Field Support", ServiceKind.Support, [(LifecycleStage.Introduction, 2, "Launched with early access.")])]),
            ("Northwind Legacy CRM", "The CRM long-time customers built their processes on.",
                "The original on-premises CRM, kept for existing customers.",
                [(LifecycleStage.Growth, 96, "Imported from the old portfolio."), (LifecycleStage.Maturity, 60, "Market saturated."),
                 (LifecycleStage.Decline, 5, "Churn above new sales for two quarters.")],
                [("CRM Maintenance", ServiceKind.Maintenance, [(LifecycleStage.Maturity, 60, "Imported."), (LifecycleStage.Decline, 5, "Follows the product.")]),
                 ("Migration Consulting", ServiceKind.Consulting, [(LifecycleStage.Introduction, 5, "Launched to move customers to Helpdesk."), (LifecycleStage.Growth, 1, "Demand doubled.")])]),
            ("Northwind Classic Mail", "Shared inboxes before Helpdesk existed.",
                "The first shared-inbox product, replaced by Helpdesk.",
                [(LifecycleStage.Maturity, 72, "Imported from the old portfolio."), (LifecycleStage.Decline, 24, "Replaced by Helpdesk."),
                 (LifecycleStage.Retired, 1, "Last customers migrated.")],
                [("Mail Archive Access", ServiceKind.Maintenance, [(LifecycleStage.Decline, 24, "Read-only access for former customers."), (LifecycleStage.Retired, 1, "Archive exported to customers.")])]),
        };

        foreach (var plan in plans)
        {
            var created = now.AddMonths(-plan.Path[0].MonthsAgo);
            var product = new Product
            {
                Id = DeterministicId(rng, created), Version = DeterministicId(rng, created), Name = plan.Name,
                UniqueSellingProposition = plan.Usp, Description = plan.Description, OwnerId = ownerId, CreatedAt = created,
                Stage = plan.Path[^1].Stage, StageChangedAt = now.AddMonths(-plan.Path[^1].MonthsAgo),
            };
            history.AddRange(Steps(rng, CatalogItemKind.Product, product.Id, product.Id, plan.Path, now));
            foreach (var (name, kind, path) in plan.Services)
            {
                var since = now.AddMonths(-path[0].MonthsAgo);
                var service = new Service
                {
                    Id = DeterministicId(rng, since), Version = DeterministicId(rng, since), ProductId = product.Id, Name = name,
                    Kind = kind, Description = $"{kind} for {plan.Name}.", OwnerId = ownerId, CreatedAt = since,
                    Stage = path[^1].Stage, StageChangedAt = now.AddMonths(-path[^1].MonthsAgo),
                };
                product.Services.Add(service);
                history.AddRange(Steps(rng, CatalogItemKind.Service, service.Id, product.Id, path, now));
            }

            products.Add(product);
        }

        return (products, history);
    }

    /// <summary>
    /// Objectives of every type for this year and last, with key results and monthly check-ins since
    /// each period began. One lags its pace, so the at-risk view has something to show.
    /// </summary>
    public IReadOnlyList<Objective> Objectives(DateTimeOffset now, Guid? ownerId, IReadOnlyList<Product> products)
    {
        var rng = new Random(seed + 2);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var year = new DateOnly(today.Year, 1, 1);
        var lastYear = year.AddYears(-1);
        Product ProductNamed(string name) => products.Single(p => p.Name == name);

        // (title, description, type, status, start, end, product, key results: title, unit, direction, baseline, target, reached share by now)
        var plans = new (string Title, string Description, ObjectiveType Type, ObjectiveStatus Status, DateOnly Start, DateOnly? End,
            string? Product, (string Title, string Metric, string Unit, BetterDirection Direction, decimal Baseline, decimal Target, double Reached)[] KeyResults)[]
        {
            ("Grow recurring revenue from Helpdesk", "Expand Helpdesk revenue through upsell of Premium Support and Admin Training to existing accounts.",
                ObjectiveType.Financial, ObjectiveStatus.Active, year, year.AddYears(1).AddDays(-1), "Northwind Helpdesk",
                [("Helpdesk MRR", "commerce.mrr", "EUR", BetterDirection.Up, 0, 0, 0),
                 ("Accounts on Premium Support", KeyResult.ManualMetric, "accounts", BetterDirection.Up, 38, 60, 0.8)]),
            ("Raise support satisfaction on Helpdesk", "Customers rate Helpdesk support 4.5 or better after every resolved ticket.",
                ObjectiveType.CustomerSatisfaction, ObjectiveStatus.Active, year, year.AddYears(1).AddDays(-1), "Northwind Helpdesk",
                [("Support CSAT (answers of 4 or 5)", "service.csat", "%", BetterDirection.Up, 0, 0, 0)]),
            ("Cut first-response time for support", "Answer new tickets faster: bring the median first response under half of what it was when the year began, across all support services.",
                ObjectiveType.OperationalEfficiency, ObjectiveStatus.Active, year, year.AddYears(1).AddDays(-1), "Northwind Helpdesk",
                [("Median first response", "service.first_response_median", "business minutes", BetterDirection.Down, 0, 0, 0)]),
            ("Win new customers for the portfolio", "Bring new logos in through Analytics and Field Service early access, this year.",
                ObjectiveType.MarketPositioning, ObjectiveStatus.Active, year, year.AddYears(1).AddDays(-1), "Northwind Analytics",
                [("New customers this year", "customers.new", "customers", BetterDirection.Up, 0, 90, 0)]),
            ("Move Legacy CRM customers to Helpdesk", "Migrate the remaining Legacy CRM accounts before maintenance ends.",
                ObjectiveType.OperationalEfficiency, ObjectiveStatus.Draft, today.AddDays(-20), null, "Northwind Legacy CRM", []),
            ("Launch Analytics to early adopters", "Get Analytics in front of early adopters with a working onboarding path.",
                ObjectiveType.MarketPositioning, ObjectiveStatus.Achieved, lastYear, year.AddDays(-1), "Northwind Analytics",
                [("Paying Analytics accounts", KeyResult.ManualMetric, "accounts", BetterDirection.Up, 0, 25, 1.1)]),
            ("Halve Classic Mail cost to serve", "Reduce the cost of keeping Classic Mail running while customers migrate.",
                ObjectiveType.Financial, ObjectiveStatus.Missed, lastYear, year.AddDays(-1), "Northwind Classic Mail",
                [("Monthly cost to serve", KeyResult.ManualMetric, "kEUR", BetterDirection.Down, 48, 24, 0.6)]),
        };

        var objectives = new List<Objective>();
        foreach (var plan in plans)
        {
            var created = new DateTimeOffset(plan.Start.AddDays(-7).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            var objective = new Objective
            {
                Id = DeterministicId(rng, created), Version = DeterministicId(rng, created), Name = plan.Title, Description = plan.Description,
                Type = plan.Type, Status = plan.Status, OwnerId = ownerId, PeriodStart = plan.Start, PeriodEnd = plan.End, CreatedAt = created,
            };
            if (plan.Product is { } productName)
            {
                objective.Products.Add(ProductNamed(productName));
            }

            foreach (var k in plan.KeyResults)
            {
                var kr = new KeyResult
                {
                    Id = DeterministicId(rng, created), Version = DeterministicId(rng, created), ObjectiveId = objective.Id, Title = k.Title,
                    MetricKey = k.Metric, Unit = k.Unit, Direction = k.Direction, Baseline = k.Baseline, Target = k.Target, CreatedAt = created,
                };
                if (kr.IsManual)
                {
                    var last = plan.End is { } end && end < today ? end : today;
                    var months = Math.Max(1, (last.Year - plan.Start.Year) * 12 + last.Month - plan.Start.Month);
                    for (var m = 1; m <= months; m++)
                    {
                        var date = plan.Start.AddMonths(m).AddDays(-1);
                        if (date > last)
                        {
                            date = last;
                        }

                        // Progress so far follows a slightly noisy curve toward the share reached by the last check-in.
                        var share = k.Reached * m / months + (rng.NextDouble() - 0.5) * 0.04;
                        var value = Math.Round(k.Baseline + (k.Target - k.Baseline) * (decimal)share, 2);
                        var confidence = k.Reached * m / months >= (double)m / Math.Max(months, 12) - 0.1 ? Confidence.OnTrack : Confidence.AtRisk;
                        kr.CheckIns.Add(new CheckIn
                        {
                            Id = DeterministicId(rng, created), KeyResultId = kr.Id, Date = date, Value = value, Confidence = confidence,
                            Note = confidence == Confidence.OnTrack ? "Moving as planned." : "Behind plan; see the retro notes.",
                            UserId = ownerId, UserName = "pm@northwind.test",
                            CreatedAt = new DateTimeOffset(date.ToDateTime(new TimeOnly(17, 0)), TimeSpan.Zero),
                        });
                    }
                }

                objective.KeyResults.Add(kr);
            }

            objectives.Add(objective);
        }

        // Objectives cascade: a faster first response is how support satisfaction is meant to rise.
        objectives.Single(o => o.Name == "Cut first-response time for support").ParentId =
            objectives.Single(o => o.Name == "Raise support satisfaction on Helpdesk").Id;
        return objectives;
    }

    /// <summary>Initiatives in every status, scored in all three frameworks, serving the demo objectives.</summary>
    public IReadOnlyList<Initiative> Initiatives(
        DateTimeOffset now, Guid? ownerId, IReadOnlyList<Product> products, IReadOnlyList<Objective> objectives,
        IReadOnlyList<ScoringCriterion> criteria)
    {
        var rng = new Random(seed + 3);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        Objective ObjectiveNamed(string start) => objectives.First(o => o.Name.StartsWith(start, StringComparison.Ordinal));
        Product ProductNamed(string name) => products.Single(p => p.Name == name);

        var plans = new (string Title, InitiativeStatus Status, string Team, string Product, string? Objective, int Reach, decimal Impact, int Confidence, decimal Effort, Moscow Moscow, int StartOffsetDays, int Weeks)[]
        {
            ("Help centre with guided answers", InitiativeStatus.InProgress, "Support tools", "Northwind Helpdesk", "Raise support", 4000, 2, 80, 6, Moscow.Must, -40, 12),
            ("Premium Support upsell in-app", InitiativeStatus.Planned, "Growth", "Northwind Helpdesk", "Grow recurring", 900, 2, 70, 3, Moscow.Should, 10, 8),
            ("First-response routing rules", InitiativeStatus.InProgress, "Support tools", "Northwind Helpdesk", "Cut first-response", 2500, 3, 60, 4, Moscow.Must, -20, 10),
            ("Analytics trial onboarding", InitiativeStatus.Released, "Onboarding", "Northwind Analytics", "Win new customers", 1200, 1, 80, 2, Moscow.Should, -90, 8),
            ("Field Service offline mode", InitiativeStatus.Backlog, "Mobile", "Northwind Field Service", null, 300, 2, 50, 8, Moscow.Could, 60, 16),
            ("Legacy CRM migration assistant", InitiativeStatus.Measuring, "Platform", "Northwind Legacy CRM", "Move Legacy CRM", 400, 2, 90, 5, Moscow.Must, -150, 14),
            ("Dark theme for agents", InitiativeStatus.Idea, "Support tools", "Northwind Helpdesk", null, 3000, 0.25m, 90, 1, Moscow.Could, 30, 4),
            ("Customer health score", InitiativeStatus.Idea, "Data", "Northwind Analytics", "Win new customers", 800, 2, 40, 6, Moscow.Wont, 90, 10),
            ("SLA breach alerts by SMS", InitiativeStatus.Backlog, "Support tools", "Northwind Helpdesk", "Cut first-response", 1500, 1, 80, 1, Moscow.Should, 45, 4),
            ("Mobile app for managers", InitiativeStatus.Dropped, "Mobile", "Northwind Helpdesk", null, 200, 0.5m, 30, 9, Moscow.Wont, -60, 12),
            ("Billing self-service portal", InitiativeStatus.Done, "Growth", "Northwind Helpdesk", "Grow recurring", 2000, 1, 90, 3, Moscow.Must, -200, 10),
            ("Data onboarding templates", InitiativeStatus.Planned, "Onboarding", "Northwind Analytics", "Win new customers", 600, 1, 80, 2, Moscow.Could, 20, 6),
        };

        var initiatives = new List<Initiative>();
        foreach (var plan in plans)
        {
            var start = today.AddDays(plan.StartOffsetDays);
            var created = new DateTimeOffset(start.AddDays(-30).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            var initiative = new Initiative
            {
                Id = DeterministicId(rng, created), Version = DeterministicId(rng, created), Name = plan.Title, Status = plan.Status,
                Problem = $"Customers of {plan.Product} asked for it; see the linked objective.", ExpectedOutcome = "Measured by the linked key results.",
                Team = plan.Team, OwnerId = ownerId, CreatedAt = created,
                PlannedStart = plan.Status == InitiativeStatus.Idea ? null : start,
                PlannedEnd = plan.Status == InitiativeStatus.Idea ? null : start.AddDays(plan.Weeks * 7),
                ReleasedOn = plan.Status is InitiativeStatus.Released or InitiativeStatus.Measuring or InitiativeStatus.Done ? start.AddDays(plan.Weeks * 7) : null,
                Reach = plan.Reach, Impact = plan.Impact, Confidence = plan.Confidence, Effort = plan.Effort,
                RiceScore = Rice.Score(plan.Reach, plan.Impact, plan.Confidence, plan.Effort), Moscow = plan.Moscow,
            };
            initiative.Products.Add(ProductNamed(plan.Product));
            if (plan.Objective is { } objective)
            {
                initiative.Objectives.Add(new InitiativeObjective
                {
                    InitiativeId = initiative.Id, ObjectiveId = ObjectiveNamed(objective).Id, Contribution = "Moves its key results directly.",
                });
            }

            initiative.CriterionScores = criteria.Select(c => new CriterionScore { InitiativeId = initiative.Id, CriterionId = c.Id, Score = rng.Next(1, 6) }).ToList();
            initiative.WeightedScore = WeightedScore.Of(criteria.Select(c => (c.Weight, initiative.CriterionScores.Single(x => x.CriterionId == c.Id).Score)));
            initiatives.Add(initiative);
        }

        // The premium upsell waits on the help centre.
        initiatives[1].DependsOn.Add(new InitiativeDependency { InitiativeId = initiatives[1].Id, DependsOnId = initiatives[0].Id });
        return initiatives;
    }

    /// <summary>A stakeholder from every department, their concerns (one opposition among them), and one decision with dissent.</summary>
    public (IReadOnlyList<Features.Alignment.Stakeholder> Stakeholders, IReadOnlyList<Features.Alignment.Concern> Concerns,
        IReadOnlyList<Features.Alignment.Decision> Decisions) AlignmentRecords(DateTimeOffset now, IReadOnlyList<Initiative> initiatives)
    {
        var rng = new Random(seed + 4);
        var people = new (string Name, Features.Alignment.Department Department, string Role, int Influence, int Interest)[]
        {
            ("Sara Sales", Features.Alignment.Department.Sales, "VP Sales", 4, 4),
            ("Mia Marketing", Features.Alignment.Department.Marketing, "Head of Marketing", 3, 4),
            ("Stefan Finance", Features.Alignment.Department.Finance, "CFO", 5, 3),
            ("Lena Legal", Features.Alignment.Department.Legal, "General Counsel", 4, 2),
            ("Pia Privacy", Features.Alignment.Department.Privacy, "Data Protection Officer", 3, 3),
            ("Sam Support", Features.Alignment.Department.Support, "Head of Support", 3, 5),
            ("Eli Engineering", Features.Alignment.Department.Engineering, "CTO", 5, 4),
            ("Dana Design", Features.Alignment.Department.Design, "Design Lead", 2, 4),
            ("Leo Leadership", Features.Alignment.Department.Leadership, "CEO", 5, 5),
            ("Olga Operations", Features.Alignment.Department.Operations, "COO", 4, 3),
            ("Oskar Partner", Features.Alignment.Department.Other, "Reseller partner", 2, 2),
        };
        var stakeholders = people.Select(p => new Features.Alignment.Stakeholder
        {
            Id = DeterministicId(rng, now), Version = DeterministicId(rng, now), Name = p.Name, Department = p.Department, Role = p.Role,
            Influence = p.Influence, Interest = p.Interest, CreatedAt = now.AddMonths(-6),
        }).ToList();
        Features.Alignment.Stakeholder Who(string name) => stakeholders.Single(s => s.Name == name);
        Initiative Work(string title) => initiatives.Single(i => i.Name == title);

        var decision = new Features.Alignment.Decision
        {
            Id = DeterministicId(rng, now), Title = "Retire Classic Mail", Context = "Few customers remain; the cost to serve keeps rising.",
            OptionsConsidered = "Keep it; retire it with a migration offer; sell it to a partner.", Outcome = "Retire it, with a free migration to Helpdesk.",
            Rationale = "Cost to serve exceeded revenue for four quarters; Helpdesk covers every use.", DecidedOn = DateOnly.FromDateTime(now.AddMonths(-3).UtcDateTime),
            DecidedBy = "Leadership team", Consulted = [Who("Stefan Finance"), Who("Sara Sales"), Who("Sam Support")], CreatedAt = now.AddMonths(-3),
        };

        Features.Alignment.Concern On(Features.Alignment.ConcernSubject subject, Guid id, string who, Features.Alignment.Stance stance, string text,
            Features.Alignment.ConcernStatus status = Features.Alignment.ConcernStatus.Open) => new()
        {
            Id = DeterministicId(rng, now), StakeholderId = Who(who).Id, Subject = subject, SubjectId = id, Stance = stance, Text = text,
            Status = status, CreatedAt = now.AddDays(-rng.Next(5, 60)), RecordedBy = "pm@northwind.test",
        };

        var concerns = new List<Features.Alignment.Concern>
        {
            On(Features.Alignment.ConcernSubject.Initiative, Work("Help centre with guided answers").Id, "Sam Support", Features.Alignment.Stance.Supports,
                "Fewer repeat tickets for the team."),
            On(Features.Alignment.ConcernSubject.Initiative, Work("Premium Support upsell in-app").Id, "Pia Privacy", Features.Alignment.Stance.Opposes,
                "In-app offers use usage data we have no consent to use for marketing."),
            On(Features.Alignment.ConcernSubject.Initiative, Work("Legacy CRM migration assistant").Id, "Stefan Finance", Features.Alignment.Stance.Concerned,
                "Migration credits hit this year's margin.", Features.Alignment.ConcernStatus.AcceptedAsRisk),
            On(Features.Alignment.ConcernSubject.Decision, decision.Id, "Sara Sales", Features.Alignment.Stance.Opposes,
                "Two large accounts still use Classic Mail daily.", Features.Alignment.ConcernStatus.AcceptedAsRisk),
        };
        return (stakeholders, concerns, [decision]);
    }

    private static IEnumerable<LifecycleChange> Steps(
        Random rng, CatalogItemKind kind, Guid itemId, Guid productId, (LifecycleStage Stage, int MonthsAgo, string Why)[] path, DateTimeOffset now)
    {
        LifecycleStage? from = null;
        foreach (var (stage, monthsAgo, why) in path)
        {
            var at = now.AddMonths(-monthsAgo);
            yield return new LifecycleChange
            {
                Id = DeterministicId(rng, at), ItemKind = kind, ItemId = itemId, ProductId = productId, From = from, To = stage,
                Reason = why, At = at, UserName = "system",
            };
            from = stage;
        }
    }

    private static string Pick(Random rng, (string Code, int Weight)[] weighted)
    {
        var roll = rng.Next(weighted.Sum(w => w.Weight));
        foreach (var (code, weight) in weighted)
        {
            if ((roll -= weight) < 0)
            {
                return code;
            }
        }

        return weighted[^1].Code;
    }

    /// <summary>A UUID version 7 whose time part is the record's creation and whose rest comes from the seed.</summary>
    private static Guid DeterministicId(Random rng, DateTimeOffset at)
    {
        Span<byte> bytes = stackalloc byte[16];
        rng.NextBytes(bytes);
        var ms = at.ToUnixTimeMilliseconds();
        for (var i = 0; i < 6; i++)
        {
            bytes[i] = (byte)(ms >> (8 * (5 - i)));
        }

        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>
    /// Key results on registry metrics start from what the data said when their period began: MRR of the objective's
    /// product on its first day, support CSAT and the median first response over its first two months. Targets ask for a
    /// quarter more MRR, eight points more CSAT and a median first response 60 % shorter.
    /// </summary>
    public static void SetBaselines(
        IReadOnlyList<Objective> objectives, IReadOnlyList<Features.Commerce.Subscription> subscriptions, ServiceDeskData desk)
    {
        foreach (var objective in objectives)
        {
            var start = objective.PeriodStart;
            var from = new DateTimeOffset(start.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            var until = new DateTimeOffset(start.AddMonths(2).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            foreach (var kr in objective.KeyResults.Where(k => !k.IsManual))
            {
                switch (kr.MetricKey)
                {
                    case "commerce.mrr":
                        kr.ProductId = objective.Products.FirstOrDefault()?.Id;
                        kr.Baseline = Features.Commerce.CommerceRules.Mrr(
                            subscriptions.Where(s => s.Currency == "EUR" && (kr.ProductId == null || s.ProductId == kr.ProductId)).AsQueryable(), start).Sum();
                        kr.Target = Math.Round(kr.Baseline * 1.25m / 1_000) * 1_000;
                        break;
                    case "service.csat":
                        var answers = desk.Responses.Where(r => r.TicketId != null && r.RespondedAt >= from && r.RespondedAt < until).ToList();
                        kr.Baseline = answers.Count == 0 ? 80 : Math.Round(100m * answers.Count(r => r.Score >= 4) / answers.Count, 1);
                        kr.Target = Math.Min(95, Math.Round(kr.Baseline + 8));
                        break;
                    case "service.first_response_median":
                        var minutes = desk.Tickets.Where(t => t.FirstResponseAt >= from && t.FirstResponseAt < until && t.FirstResponseMinutes != null)
                            .Select(t => t.FirstResponseMinutes!.Value).Order().ToList();
                        kr.Baseline = minutes.Count == 0 ? 240 : Math.Round((decimal)minutes[(minutes.Count - 1) / 2], 0);
                        kr.Target = Math.Round(kr.Baseline * 0.4m, 0);
                        break;
                }
            }
        }
    }
}
