using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Psm.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ReviewsTimelineSharing : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "InitiativeKeyResults",
                columns: table => new
                {
                    InitiativeId = table.Column<Guid>(type: "TEXT", nullable: false),
                    KeyResultId = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_InitiativeKeyResults", x => new { x.InitiativeId, x.KeyResultId });
                    table.ForeignKey(
                        name: "FK_InitiativeKeyResults_Initiatives_InitiativeId",
                        column: x => x.InitiativeId,
                        principalTable: "Initiatives",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_InitiativeKeyResults_KeyResults_KeyResultId",
                        column: x => x.KeyResultId,
                        principalTable: "KeyResults",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ObjectiveTypeWeights",
                columns: table => new
                {
                    Type = table.Column<string>(type: "TEXT", maxLength: 30, nullable: false),
                    Percent = table.Column<double>(type: "REAL", precision: 5, scale: 1, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ObjectiveTypeWeights", x => x.Type);
                });

            migrationBuilder.CreateTable(
                name: "RoadmapReviews",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Title = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    HeldOn = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    Attendees = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    Notes = table.Column<string>(type: "TEXT", maxLength: 8000, nullable: false),
                    Decisions = table.Column<string>(type: "TEXT", maxLength: 8000, nullable: false),
                    CreatedAt = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RoadmapReviews", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "RoadmapShares",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Token = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    Title = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Statuses = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    ShowDates = table.Column<bool>(type: "INTEGER", nullable: false),
                    ShowOwners = table.Column<bool>(type: "INTEGER", nullable: false),
                    ShowScores = table.Column<bool>(type: "INTEGER", nullable: false),
                    ShowProblem = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    RevokedAt = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RoadmapShares", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Retrospectives",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Title = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    HeldOn = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    InitiativeId = table.Column<Guid>(type: "TEXT", nullable: true),
                    ReviewId = table.Column<Guid>(type: "TEXT", nullable: true),
                    WentWell = table.Column<string>(type: "TEXT", maxLength: 8000, nullable: false),
                    ToImprove = table.Column<string>(type: "TEXT", maxLength: 8000, nullable: false),
                    CreatedAt = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Retrospectives", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Retrospectives_Initiatives_InitiativeId",
                        column: x => x.InitiativeId,
                        principalTable: "Initiatives",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_Retrospectives_RoadmapReviews_ReviewId",
                        column: x => x.ReviewId,
                        principalTable: "RoadmapReviews",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "ReviewSnapshotItems",
                columns: table => new
                {
                    ReviewId = table.Column<Guid>(type: "TEXT", nullable: false),
                    InitiativeId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Title = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    PlannedStart = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    PlannedEnd = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    RiceScore = table.Column<double>(type: "REAL", precision: 18, scale: 2, nullable: true),
                    Moscow = table.Column<string>(type: "TEXT", maxLength: 10, nullable: true),
                    WeightedScore = table.Column<double>(type: "REAL", precision: 6, scale: 1, nullable: true),
                    Rank = table.Column<int>(type: "INTEGER", nullable: true),
                    ObjectiveIds = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReviewSnapshotItems", x => new { x.ReviewId, x.InitiativeId });
                    table.ForeignKey(
                        name: "FK_ReviewSnapshotItems_RoadmapReviews_ReviewId",
                        column: x => x.ReviewId,
                        principalTable: "RoadmapReviews",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ActionItems",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    ReviewId = table.Column<Guid>(type: "TEXT", nullable: true),
                    RetrospectiveId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Text = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    Owner = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    DueOn = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    Status = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    Version = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ActionItems", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ActionItems_Retrospectives_RetrospectiveId",
                        column: x => x.RetrospectiveId,
                        principalTable: "Retrospectives",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_ActionItems_RoadmapReviews_ReviewId",
                        column: x => x.ReviewId,
                        principalTable: "RoadmapReviews",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ActionItems_RetrospectiveId",
                table: "ActionItems",
                column: "RetrospectiveId");

            migrationBuilder.CreateIndex(
                name: "IX_ActionItems_ReviewId",
                table: "ActionItems",
                column: "ReviewId");

            migrationBuilder.CreateIndex(
                name: "IX_InitiativeKeyResults_KeyResultId",
                table: "InitiativeKeyResults",
                column: "KeyResultId");

            migrationBuilder.CreateIndex(
                name: "IX_Retrospectives_InitiativeId",
                table: "Retrospectives",
                column: "InitiativeId");

            migrationBuilder.CreateIndex(
                name: "IX_Retrospectives_ReviewId",
                table: "Retrospectives",
                column: "ReviewId");

            migrationBuilder.CreateIndex(
                name: "IX_RoadmapReviews_HeldOn",
                table: "RoadmapReviews",
                column: "HeldOn");

            migrationBuilder.CreateIndex(
                name: "IX_RoadmapShares_Token",
                table: "RoadmapShares",
                column: "Token",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ActionItems");

            migrationBuilder.DropTable(
                name: "InitiativeKeyResults");

            migrationBuilder.DropTable(
                name: "ObjectiveTypeWeights");

            migrationBuilder.DropTable(
                name: "ReviewSnapshotItems");

            migrationBuilder.DropTable(
                name: "RoadmapShares");

            migrationBuilder.DropTable(
                name: "Retrospectives");

            migrationBuilder.DropTable(
                name: "RoadmapReviews");
        }
    }
}
