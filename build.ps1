#!/usr/bin/env pwsh
# Datsync.Actors build script: dotnet tool restore && dotnet pwsh build.ps1 <target>
#   build   compile the solution (Release)
#   test    run every test project
#   bench   run the benchmarks side by side with DataScript (needs node and npm)
#   pack    pack the libraries and the datsync tool into ./artifacts
#   replay  run `datsync replay` on the bundled example
param(
    [Parameter(Position = 0)]
    [ValidateSet('build', 'test', 'bench', 'pack', 'replay')]
    [string]$Target = 'build',
    [string]$Configuration = 'Release'
)
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot

function Invoke-Step([string]$Title, [scriptblock]$Block) {
    Write-Host "==> $Title" -ForegroundColor Cyan
    & $Block
    if ($LASTEXITCODE -ne 0) { throw "$Title failed (exit $LASTEXITCODE)" }
}

switch ($Target) {
    'build' { Invoke-Step 'build' { dotnet build Datsync.Actors.sln -c $Configuration } }
    'test' { Invoke-Step 'test' { dotnet test Datsync.Actors.sln -c $Configuration --blame-hang-timeout 10m --blame-hang-dump-type none } }
    'bench' { Invoke-Step 'bench' { dotnet run -c Release --project src/Datsync.Benchmarks -- compare } }
    'pack' { Invoke-Step 'pack' { dotnet pack Datsync.Actors.sln -c $Configuration -o artifacts } }
    'replay' { Invoke-Step 'replay' { dotnet run -c $Configuration --project src/Datsync.Cli -- replay src/Datsync.Cli/examples/people.edn } }
}
