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
