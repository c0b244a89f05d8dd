# Katello's flow for a Pulp content type, through the generated Ruby gems, as Katello drives
# pulp_rpm_client or pulp_file_client: a remote, a repository, a mirror sync whose task it
# waits for with pulpcore_client's TasksApi, a distribution, then the content listed page by
# page. Prints what it made and listed as JSON on stdout for test_bindings.py to check.
#
# Environment: BOOTFILES_API (the API's URL), BINDINGS_AUTH (user:password), BINDINGS_NAME
# (the name and base path of what it creates), BINDINGS_REMOTE_URL (the tree to sync, or
# with BINDINGS_RELEASES and BINDINGS_ARCHES, comma-separated, the matrix of trees).
require "json"
require "uri"
require "pulp_bootfiles_client"
require "pulpcore_client"

TASK_TIMEOUT = 300 # seconds, as the Python tests' PulpAPI.wait
PAGE_SIZE = 5 # small, so that listing takes several pages as in Katello's indexing

api = URI(ENV.fetch("BOOTFILES_API"))
user, password = ENV.fetch("BINDINGS_AUTH").split(":", 2)
name = ENV.fetch("BINDINGS_NAME")

# Katello configures each client module from its smart proxy's Pulp URL.
def configure(configuration, api, user, password)
  configuration.scheme = api.scheme
  configuration.host = "#{api.host}:#{api.port}"
  configuration.username = user
  configuration.password = password
  configuration
end

bootfiles = PulpBootfilesClient::ApiClient.new(
  configure(PulpBootfilesClient::Configuration.new, api, user, password)
)
core = PulpcoreClient::ApiClient.new(
  configure(PulpcoreClient::Configuration.new, api, user, password)
)
tasks = PulpcoreClient::TasksApi.new(core)

# Katello's polling of a Pulp task (its Pulp3 task presenter): read until it is final.
def wait(tasks, task_href)
  deadline = Time.now + TASK_TIMEOUT
  loop do
    task = tasks.read(task_href)
    return task if task.state == "completed"
    if %w[failed canceled].include?(task.state)
      raise "task #{task_href} #{task.state}: #{task.error.inspect}"
    end
    raise "task #{task_href} not finished in #{TASK_TIMEOUT} s" if Time.now > deadline

    sleep 0.3
  end
end

# Every page of a list call, with Katello's offset/limit paging.
def all_pages(api_instance, **filters)
  results, offset = [], 0
  loop do
    page = api_instance.list(filters.merge(limit: PAGE_SIZE, offset: offset))
    results.concat(page.results)
    return results if page._next.nil?

    offset += PAGE_SIZE
  end
end

remote = PulpBootfilesClient::RemotesBootfilesApi.new(bootfiles).create(
  PulpBootfilesClient::BootfilesBootfilesRemote.new(
    name: name, url: ENV.fetch("BINDINGS_REMOTE_URL"), policy: "immediate",
    releases: ENV["BINDINGS_RELEASES"]&.split(","), arches: ENV["BINDINGS_ARCHES"]&.split(",")
  )
)
repositories = PulpBootfilesClient::RepositoriesBootfilesApi.new(bootfiles)
repository = repositories.create(PulpBootfilesClient::BootfilesBootfilesRepository.new(name: name))

sync = repositories.sync(
  repository.pulp_href,
  PulpBootfilesClient::BootfilesRepositorySync.new(remote: remote.pulp_href, mirror: true)
)
sync_task = wait(tasks, sync.task)
version_href = repositories.read(repository.pulp_href).latest_version_href

distributions = PulpBootfilesClient::DistributionsBootfilesApi.new(bootfiles)
distribution_task = wait(
  tasks,
  distributions.create(
    PulpBootfilesClient::BootfilesBootfilesDistribution.new(
      name: name, base_path: name, repository_version: version_href
    )
  ).task
)
distribution = distributions.read(distribution_task.created_resources.first)

trees = all_pages(
  PulpBootfilesClient::ContentTreesApi.new(bootfiles), repository_version: version_href
)
files = all_pages(
  PulpBootfilesClient::ContentFilesApi.new(bootfiles), repository_version: version_href
)

puts JSON.generate(
  remote: remote.pulp_href,
  releases: remote.releases,
  arches: remote.arches,
  skip_missing: remote.skip_missing,
  repository: repository.pulp_href,
  version: version_href,
  sync_task: { state: sync_task.state, created_resources: sync_task.created_resources },
  distribution: {
    pulp_href: distribution.pulp_href,
    base_path: distribution.base_path,
    repository_version: distribution.repository_version,
  },
  trees: trees.map do |tree|
    { pulp_href: tree.pulp_href, release: tree.release, arch: tree.arch, family: tree.family,
      files: tree.files }
  end,
  files: files.map do |file|
    { pulp_href: file.pulp_href, content_path: file.content_path, sha256: file.sha256,
      name: file.name, source_package: file.source_package }
  end
)
