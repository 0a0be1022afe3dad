using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Catalog;

public sealed record ProductFilter(
    string? Search = null, LifecycleStage? Stage = null, Guid? OwnerId = null, bool IncludeArchived = false,
    ListSort Sort = ListSort.Name);

/// <summary>Products, their services and their lifecycles: what the catalog pages and API share.</summary>
public sealed class Catalog(IDbContextFactory<PsmDb> dbs, TimeProvider time)
{
    public async Task<Page<ProductDto>> ListProductsAsync(ProductFilter filter, PageRequest page, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rows = await Project(Filtered(db, filter).After(filter.Sort, page.After).Ordered(filter.Sort).Take(page.Limit + 1))
            .ToListAsync(ct);
        return page.ToPage(rows, p => Listing.KeyOf(filter.Sort, p.Name, p.CreatedAt, p.Id));
    }

    public async Task<int> CountProductsAsync(ProductFilter filter, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Filtered(db, filter).CountAsync(ct);
    }

    public async IAsyncEnumerable<ProductDto> StreamProductsAsync(
        ProductFilter filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await foreach (var product in Project(Filtered(db, filter).Ordered(filter.Sort)).AsAsyncEnumerable().WithCancellation(ct))
        {
            yield return product;
        }
    }

    public async Task<ProductDetailDto?> GetProductAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var product = await Project(db.Products.AsNoTracking().Where(p => p.Id == id)).SingleOrDefaultAsync(ct);
        if (product is null)
        {
            return null;
        }

        var services = await ProjectServices(db.Services.AsNoTracking().Where(s => s.ProductId == id).OrderBy(s => s.Name))
            .ToListAsync(ct);
        return new ProductDetailDto(product, LifecycleStages.Of(product.Stage), services);
    }

    public async Task<ProductDto> CreateProductAsync(ProductInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await CheckOwnerAsync(db, input.OwnerId, ct);
        await CheckUniqueNameAsync(db, input.Name, null, ct);
        var now = time.GetUtcNow();
        var product = new Product { CreatedAt = now, StageChangedAt = now, Stage = input.Stage };
        Apply(product, input);
        db.Products.Add(product);
        db.LifecycleChanges.Add(Change(db, CatalogItemKind.Product, product.Id, product.Id, null, input.Stage, "Added to the catalog.", now));
        await db.SaveChangesAsync(ct);
        return (await GetProductAsync(product.Id, ct))!.Product;
    }

    public async Task<ProductDto?> UpdateProductAsync(Guid id, ProductUpdate update, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var product = await db.Products.SingleOrDefaultAsync(p => p.Id == id, ct);
        if (product is null)
        {
            return null;
        }

        db.ExpectVersion(product, update.Version);
        if (update.Stage != product.Stage)
        {
            throw new RequestValidationException(nameof(ProductInput.Stage),
                "Change the stage through a lifecycle change, which records why.");
        }

        await CheckOwnerAsync(db, update.OwnerId, ct);
        await CheckUniqueNameAsync(db, update.Name, id, ct);
        Apply(product, update);
        await db.SaveChangesAsync(ct);
        return (await GetProductAsync(id, ct))!.Product;
    }

    public async Task<ProductDto?> SetProductArchivedAsync(Guid id, bool archived, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var product = await db.Products.SingleOrDefaultAsync(p => p.Id == id, ct);
        if (product is null)
        {
            return null;
        }

        if (product.ArchivedAt is null == archived)
        {
            product.ArchivedAt = archived ? time.GetUtcNow() : null;
            await db.SaveChangesAsync(ct);
        }

        return (await GetProductAsync(id, ct))!.Product;
    }

    /// <summary>Moves a product to a stage, keeping who, when and why.</summary>
    public async Task<ProductDto?> ChangeProductStageAsync(Guid id, StageChange change, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var product = await db.Products.SingleOrDefaultAsync(p => p.Id == id, ct);
        if (product is null)
        {
            return null;
        }

        if (product.Stage == change.Stage)
        {
            throw new RequestValidationException(nameof(StageChange.Stage), $"{product.Name} is already in {change.Stage}.");
        }

        var now = time.GetUtcNow();
        db.LifecycleChanges.Add(Change(db, CatalogItemKind.Product, id, id, product.Stage, change.Stage, change.Reason.Trim(), now));
        product.Stage = change.Stage;
        product.StageChangedAt = now;
        await db.SaveChangesAsync(ct);
        return (await GetProductAsync(id, ct))!.Product;
    }

    public async Task<ServiceDto?> GetServiceAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await ProjectServices(db.Services.AsNoTracking().Where(s => s.Id == id)).SingleOrDefaultAsync(ct);
    }

    public async Task<ServiceDto?> AddServiceAsync(Guid productId, ServiceInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var product = await db.Products.AsNoTracking().SingleOrDefaultAsync(p => p.Id == productId, ct);
        if (product is null)
        {
            return null;
        }

        if (CatalogRules.RefusalForNewWork(product.Name, product.Stage, "services") is { } refusal)
        {
            throw new RequestValidationException("productId", refusal);
        }

        await CheckOwnerAsync(db, input.OwnerId, ct);
        var now = time.GetUtcNow();
        var service = new Service { ProductId = productId, CreatedAt = now, StageChangedAt = now, Stage = input.Stage };
        Apply(service, input);
        db.Services.Add(service);
        db.LifecycleChanges.Add(Change(db, CatalogItemKind.Service, service.Id, productId, null, input.Stage, "Added to the catalog.", now));
        await db.SaveChangesAsync(ct);
        return await GetServiceAsync(service.Id, ct);
    }

    public async Task<ServiceDto?> UpdateServiceAsync(Guid id, ServiceUpdate update, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var service = await db.Services.SingleOrDefaultAsync(s => s.Id == id, ct);
        if (service is null)
        {
            return null;
        }

        db.ExpectVersion(service, update.Version);
        if (update.Stage != service.Stage)
        {
            throw new RequestValidationException(nameof(ServiceInput.Stage),
                "Change the stage through a lifecycle change, which records why.");
        }

        await CheckOwnerAsync(db, update.OwnerId, ct);
        Apply(service, update);
        await db.SaveChangesAsync(ct);
        return await GetServiceAsync(id, ct);
    }

    public async Task<ServiceDto?> SetServiceArchivedAsync(Guid id, bool archived, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var service = await db.Services.SingleOrDefaultAsync(s => s.Id == id, ct);
        if (service is null)
        {
            return null;
        }

        if (service.ArchivedAt is null == archived)
        {
            service.ArchivedAt = archived ? time.GetUtcNow() : null;
            await db.SaveChangesAsync(ct);
        }

        return await GetServiceAsync(id, ct);
    }

    public async Task<ServiceDto?> ChangeServiceStageAsync(Guid id, StageChange change, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var service = await db.Services.SingleOrDefaultAsync(s => s.Id == id, ct);
        if (service is null)
        {
            return null;
        }

        if (service.Stage == change.Stage)
        {
            throw new RequestValidationException(nameof(StageChange.Stage), $"{service.Name} is already in {change.Stage}.");
        }

        var now = time.GetUtcNow();
        db.LifecycleChanges.Add(Change(db, CatalogItemKind.Service, id, service.ProductId, service.Stage, change.Stage, change.Reason.Trim(), now));
        service.Stage = change.Stage;
        service.StageChangedAt = now;
        await db.SaveChangesAsync(ct);
        return await GetServiceAsync(id, ct);
    }

    /// <summary>A product's lifecycle and its services', newest first.</summary>
    public async Task<IReadOnlyList<LifecycleChangeDto>?> HistoryAsync(Guid productId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (!await db.Products.AnyAsync(p => p.Id == productId, ct))
        {
            return null;
        }

        var names = await db.Services.Where(s => s.ProductId == productId).Select(s => new { s.Id, s.Name })
            .Concat(db.Products.Where(p => p.Id == productId).Select(p => new { p.Id, p.Name }))
            .ToDictionaryAsync(x => x.Id, x => x.Name, ct);
        var changes = await db.LifecycleChanges.AsNoTracking().Where(c => c.ProductId == productId)
            .OrderByDescending(c => c.At).ThenByDescending(c => c.Id).ToListAsync(ct);
        return changes.Select(c => new LifecycleChangeDto(c.Id, c.ItemKind, c.ItemId, names.GetValueOrDefault(c.ItemId, "?"),
            c.From, c.To, c.Reason, c.At, c.UserName)).ToList();
    }

    /// <summary>
    /// For later areas (objectives, initiatives, campaigns): refuses new work on a retired product or
    /// service, with a message that says why.
    /// </summary>
    public async Task EnsureOpenForNewWorkAsync(Guid? productId, Guid? serviceId, string work, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (productId is { } pid && await db.Products.Where(p => p.Id == pid).Select(p => new { p.Name, p.Stage }).SingleOrDefaultAsync(ct) is { } product
            && CatalogRules.RefusalForNewWork(product.Name, product.Stage, work) is { } productRefusal)
        {
            throw new RequestValidationException("productId", productRefusal);
        }

        if (serviceId is { } sid && await db.Services.Where(s => s.Id == sid).Select(s => new { s.Name, s.Stage }).SingleOrDefaultAsync(ct) is { } service
            && CatalogRules.RefusalForNewWork(service.Name, service.Stage, work) is { } serviceRefusal)
        {
            throw new RequestValidationException("serviceId", serviceRefusal);
        }
    }

    private static IQueryable<Product> Filtered(PsmDb db, ProductFilter filter)
    {
        var query = db.Products.AsNoTracking();
        if (!filter.IncludeArchived)
        {
            query = query.Where(p => p.ArchivedAt == null);
        }

        if (!string.IsNullOrWhiteSpace(filter.Search))
        {
            var term = filter.Search.Trim().ToLowerInvariant();
            query = query.Where(p => p.Name.ToLower().Contains(term) || p.Description.ToLower().Contains(term));
        }

        if (filter.Stage is { } stage)
        {
            query = query.Where(p => p.Stage == stage);
        }

        if (filter.OwnerId is { } owner)
        {
            query = query.Where(p => p.OwnerId == owner);
        }

        return query;
    }

    private static IQueryable<ProductDto> Project(IQueryable<Product> query) =>
        query.Select(p => new ProductDto(p.Id, p.Name, p.Description, p.UniqueSellingProposition,
            p.Owner == null ? null : new NamedRef(p.Owner.Id, p.Owner.DisplayName),
            p.Stage, p.StageChangedAt, p.Services.Count(s => s.ArchivedAt == null), p.CreatedAt, p.ArchivedAt, p.Version));

    private static IQueryable<ServiceDto> ProjectServices(IQueryable<Service> query) =>
        query.Select(s => new ServiceDto(s.Id, s.ProductId, s.Name, s.Kind, s.Description,
            s.Owner == null ? null : new NamedRef(s.Owner.Id, s.Owner.DisplayName),
            s.Stage, s.StageChangedAt, s.CreatedAt, s.ArchivedAt, s.Version));

    private static void Apply(Product product, ProductInput input)
    {
        product.Name = input.Name.Trim();
        product.Description = input.Description.Trim();
        product.UniqueSellingProposition = input.UniqueSellingProposition.Trim();
        product.OwnerId = input.OwnerId;
    }

    private static void Apply(Service service, ServiceInput input)
    {
        service.Name = input.Name.Trim();
        service.Kind = input.Kind;
        service.Description = input.Description.Trim();
        service.OwnerId = input.OwnerId;
    }

    private static async Task CheckOwnerAsync(PsmDb db, Guid? ownerId, CancellationToken ct)
    {
        if (ownerId is { } id && !await db.Users.AnyAsync(u => u.Id == id && u.DeactivatedAt == null, ct))
        {
            throw new RequestValidationException(nameof(ProductInput.OwnerId), "No active user has this id.");
        }
    }

    private static async Task CheckUniqueNameAsync(PsmDb db, string name, Guid? except, CancellationToken ct)
    {
        var trimmed = name.Trim();
        if (await db.Products.AnyAsync(p => p.Name == trimmed && p.Id != except && p.ArchivedAt == null, ct))
        {
            throw new RequestValidationException(nameof(ProductInput.Name), $"There is already a product named {trimmed}.");
        }
    }

    private static LifecycleChange Change(
        PsmDb db, CatalogItemKind kind, Guid itemId, Guid productId, LifecycleStage? from, LifecycleStage to, string reason, DateTimeOffset at)
    {
        var actor = db.CurrentUser?.Actor ?? Actor.System;
        return new LifecycleChange
        {
            ItemKind = kind, ItemId = itemId, ProductId = productId, From = from, To = to, Reason = reason, At = at,
            UserId = actor.UserId, UserName = actor.Name,
        };
    }
}

public static class CatalogRules
{
    /// <summary>Why a product or service may not take new work, or null when it may.</summary>
    public static string? RefusalForNewWork(string name, LifecycleStage stage, string work) =>
        stage == LifecycleStage.Retired
            ? $"{name} is retired: a retired product or service gets no new {work}. Move it out of Retired first if it is coming back."
            : null;
}
