using Microsoft.AspNetCore.Http.HttpResults;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Catalog;

public static class CatalogApi
{
    public static RouteGroupBuilder MapCatalogApi(this RouteGroupBuilder api)
    {
        api.MapGet("/lifecycle-stages", () => TypedResults.Ok(LifecycleStages.All)).WithTags("Catalog")
            .WithName("ListLifecycleStages").WithSummary("The lifecycle stages and what each typically calls for.");

        var products = api.MapGroup("/products").WithTags("Catalog");
        products.MapGet("/", ListProducts).WithName("ListProducts")
            .WithSummary("Lists products, filtered by stage, owner or text, one page at a time.");
        products.MapGet("/export.csv", ExportProducts).WithName("ExportProducts").ReadsFromReplica().WithSummary("Exports matching products as CSV.");
        products.MapGet("/{id:guid}", GetProduct).WithName("GetProduct").WithSummary("Gets a product with its services and stage guidance.");
        products.MapPost("/", CreateProduct).WithName("CreateProduct").WithSummary("Adds a product to the catalog.")
            .RequireAuthorization(Permissions.CatalogManage);
        products.MapPut("/{id:guid}", UpdateProduct).WithName("UpdateProduct")
            .WithSummary("Updates a product; send the version you read. The stage changes through /lifecycle.")
            .RequireAuthorization(Permissions.CatalogManage);
        products.MapDelete("/{id:guid}", ArchiveProduct).WithName("ArchiveProduct").WithSummary("Archives a product.")
            .RequireAuthorization(Permissions.CatalogManage);
        products.MapPost("/{id:guid}/restore", RestoreProduct).WithName("RestoreProduct").WithSummary("Restores an archived product.")
            .RequireAuthorization(Permissions.CatalogManage);
        products.MapPost("/{id:guid}/lifecycle", ChangeProductStage).WithName("ChangeProductStage")
            .WithSummary("Moves a product to another lifecycle stage, with the reason.").RequireAuthorization(Permissions.CatalogManage);
        products.MapGet("/{id:guid}/lifecycle", History).WithName("GetProductLifecycle")
            .WithSummary("The lifecycle history of a product and its services, newest first.");
        products.MapPost("/{id:guid}/services", AddService).WithName("AddService")
            .WithSummary("Adds a service to a product (not to a retired one).").RequireAuthorization(Permissions.CatalogManage);

        var services = api.MapGroup("/services").WithTags("Catalog");
        services.MapGet("/{id:guid}", GetService).WithName("GetService").WithSummary("Gets a service.");
        services.MapPut("/{id:guid}", UpdateService).WithName("UpdateService")
            .WithSummary("Updates a service; send the version you read.").RequireAuthorization(Permissions.CatalogManage);
        services.MapDelete("/{id:guid}", ArchiveService).WithName("ArchiveService").WithSummary("Archives a service.")
            .RequireAuthorization(Permissions.CatalogManage);
        services.MapPost("/{id:guid}/lifecycle", ChangeServiceStage).WithName("ChangeServiceStage")
            .WithSummary("Moves a service to another lifecycle stage, with the reason.").RequireAuthorization(Permissions.CatalogManage);
        return api;
    }

    private static ProductFilter Filter(string? search, LifecycleStage? stage, Guid? ownerId, bool? includeArchived, ListSort? sort) =>
        new(search, stage, ownerId, includeArchived ?? false, sort ?? ListSort.Name);

    private static async Task<Ok<Page<ProductDto>>> ListProducts(
        Catalog catalog, string? search, LifecycleStage? stage, Guid? ownerId, bool? includeArchived, ListSort? sort,
        int? limit, string? cursor, CancellationToken ct) =>
        TypedResults.Ok(await catalog.ListProductsAsync(Filter(search, stage, ownerId, includeArchived, sort), PageRequest.Parse(limit, cursor), ct));

    private static Task ExportProducts(
        HttpContext http, Catalog catalog, string? search, LifecycleStage? stage, Guid? ownerId, bool? includeArchived,
        ListSort? sort, CancellationToken ct)
    {
        return Csv.WriteAsync(http.Response, "products.csv",
            ["id", "name", "stage", "stage_since", "owner", "services", "unique_selling_proposition", "description", "archived_at"],
            Rows(catalog.StreamProductsAsync(Filter(search, stage, ownerId, includeArchived, sort), ct)), ct);

        static async IAsyncEnumerable<string?[]> Rows(IAsyncEnumerable<ProductDto> products)
        {
            await foreach (var p in products)
            {
                yield return
                [
                    p.Id.ToString(), p.Name, p.Stage.ToString(), p.StageChangedAt.ToString("O"), p.Owner?.Name,
                    p.ServiceCount.ToString(System.Globalization.CultureInfo.InvariantCulture), p.UniqueSellingProposition,
                    p.Description, p.ArchivedAt?.ToString("O"),
                ];
            }
        }
    }

    private static async Task<Results<Ok<ProductDetailDto>, NotFound>> GetProduct(Guid id, Catalog catalog, CancellationToken ct) =>
        await catalog.GetProductAsync(id, ct) is { } product ? TypedResults.Ok(product) : TypedResults.NotFound();

    private static async Task<Created<ProductDto>> CreateProduct(ProductInput input, Catalog catalog, CancellationToken ct)
    {
        var product = await catalog.CreateProductAsync(input, ct);
        return TypedResults.Created($"/api/v1/products/{product.Id}", product);
    }

    private static async Task<Results<Ok<ProductDto>, NotFound>> UpdateProduct(Guid id, ProductUpdate input, Catalog catalog, CancellationToken ct) =>
        await catalog.UpdateProductAsync(id, input, ct) is { } product ? TypedResults.Ok(product) : TypedResults.NotFound();

    private static async Task<Results<Ok<ProductDto>, NotFound>> ArchiveProduct(Guid id, Catalog catalog, CancellationToken ct) =>
        await catalog.SetProductArchivedAsync(id, archived: true, ct) is { } product ? TypedResults.Ok(product) : TypedResults.NotFound();

    private static async Task<Results<Ok<ProductDto>, NotFound>> RestoreProduct(Guid id, Catalog catalog, CancellationToken ct) =>
        await catalog.SetProductArchivedAsync(id, archived: false, ct) is { } product ? TypedResults.Ok(product) : TypedResults.NotFound();

    private static async Task<Results<Ok<ProductDto>, NotFound>> ChangeProductStage(
        Guid id, StageChange change, Catalog catalog, CancellationToken ct) =>
        await catalog.ChangeProductStageAsync(id, change, ct) is { } product ? TypedResults.Ok(product) : TypedResults.NotFound();

    private static async Task<Results<Ok<IReadOnlyList<LifecycleChangeDto>>, NotFound>> History(Guid id, Catalog catalog, CancellationToken ct) =>
        await catalog.HistoryAsync(id, ct) is { } history ? TypedResults.Ok(history) : TypedResults.NotFound();

    private static async Task<Results<Created<ServiceDto>, NotFound>> AddService(Guid id, ServiceInput input, Catalog catalog, CancellationToken ct) =>
        await catalog.AddServiceAsync(id, input, ct) is { } service
            ? TypedResults.Created($"/api/v1/services/{service.Id}", service)
            : TypedResults.NotFound();

    private static async Task<Results<Ok<ServiceDto>, NotFound>> GetService(Guid id, Catalog catalog, CancellationToken ct) =>
        await catalog.GetServiceAsync(id, ct) is { } service ? TypedResults.Ok(service) : TypedResults.NotFound();

    private static async Task<Results<Ok<ServiceDto>, NotFound>> UpdateService(Guid id, ServiceUpdate input, Catalog catalog, CancellationToken ct) =>
        await catalog.UpdateServiceAsync(id, input, ct) is { } service ? TypedResults.Ok(service) : TypedResults.NotFound();

    private static async Task<Results<Ok<ServiceDto>, NotFound>> ArchiveService(Guid id, Catalog catalog, CancellationToken ct) =>
        await catalog.SetServiceArchivedAsync(id, archived: true, ct) is { } service ? TypedResults.Ok(service) : TypedResults.NotFound();

    private static async Task<Results<Ok<ServiceDto>, NotFound>> ChangeServiceStage(
        Guid id, StageChange change, Catalog catalog, CancellationToken ct) =>
        await catalog.ChangeServiceStageAsync(id, change, ct) is { } service ? TypedResults.Ok(service) : TypedResults.NotFound();
}
