using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Infrastructure.Auth;

namespace Psm.Web.Data.Demo;

/// <summary>A person the demo company employs, who can sign in with <see cref="DemoData.Password"/>.</summary>
public sealed record DemoUser(string Email, string DisplayName, string Role);

/// <summary>
/// The one generator of demo data: a fictional software company, Northwind Cloud, its staff and its
/// customers. Fixed seed, so every run, test and benchmark sees the same company; <c>scale</c>
/// multiplies the volume. Later areas extend it.
/// </summary>
public sealed class DemoData(int scale = 1, int seed = 20261122)
{
    public const string CompanyName = "Northwind Cloud";
    public const string Password = "Demo-pass-2026";
    public const int CustomersPerScale = 250;

    public int Scale { get; } = scale >= 1 ? scale : throw new ArgumentOutOfRangeException(nameof(scale), "Scale must be at least 1.");

    public static IReadOnlyList<DemoUser> Users { get; } =
    [
        new("admin@northwind.test", "Avery Admin", Roles.Admin),
        new("pm@northwind.test", "Priya Patel", Roles.ProductManager),
        new("agent@northwind.test", "Sam Support", Roles.SupportAgent),
        new("marketer@northwind.test", "Mia Marketing", Roles.Marketer),
        new("stakeholder@northwind.test", "Stefan Finance", Roles.Stakeholder),
    ];

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
            var customer = new Customer
            {
                Id = DeterministicId(rng, createdAt),
                Version = DeterministicId(rng, createdAt),
                Name = name,
                Email = $"contact{i}@{name.ToLowerInvariant().Replace(' ', '-')}.example",
                Country = Pick(rng, Countries),
                Industry = Industries[rng.Next(Industries.Length)],
                // Company sizes are heavy-tailed: most are small, a few are very large.
                Employees = (int)Math.Clamp(Math.Exp(rng.NextDouble() * 9.5 + 1.6), 5, 200_000),
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
}
