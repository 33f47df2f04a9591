# Unit tests and the framework modules each one links.
$(eval $(call unit_test,duration,duration err))
$(eval $(call unit_test,base64,base64))
$(eval $(call unit_test,secret,secret wipe_buf base64 err))
$(eval $(call unit_test,selector,selector secret wipe_buf base64 err))
$(eval $(call unit_test,store_file,store_file store_leader writer_lock encryption names secret selector wipe_buf base64 hex err log sha256))
$(eval $(call unit_test,pki,pki keyalg err sha256))
$(eval $(call unit_test,kubeconfig,kubeconfig wipe_buf base64 err))
$(eval $(call unit_test,config,config config_store inifile path datastore duration names timefmt pki keyalg log err sha256))
$(eval $(call unit_test,metrics,metrics))
$(eval $(call unit_test,events,events wipe_alloc store_file store_leader writer_lock encryption names secret selector wipe_buf base64 timefmt hex err log sha256))
$(eval $(call unit_test,log,log))
# The driver ABI (static asserts on sizes and offsets).
$(eval $(call unit_test,driver_abi,))
$(eval $(call unit_test,config_store,config config_store inifile path datastore duration names timefmt pki keyalg log err sha256))
$(eval $(call unit_test,encryption,encryption base64 err))
$(eval $(call unit_test,kamaji,kamaji hex plan secret wipe_buf base64 timefmt config config_store inifile path datastore duration names pki keyalg log err sha256))
$(eval $(call unit_test,jsonpath,jsonpath wipe_alloc err))
$(eval $(call unit_test,output,output jsonpath wipe_alloc table err))
$(eval $(call unit_test,hooks,hooks err))
# The reissue loop guard and the reconcile causes' labels.
$(eval $(call unit_test,reissue_guard,reissue_guard cause))
# ca.crt bundles with roots trusted beside the CA, and the CA rotation's
# record in the status.
$(eval $(call unit_test,ca_bundle,ca_bundle status wipe_alloc pki timefmt err sha256))
# The key pool and the worker pool.
$(eval $(call unit_test,keypool,keypool pki keyalg log err sha256))
$(eval $(call unit_test,workers,workers pki keyalg log err sha256))
# Validation records (judging a Secret once per content) and the status JSON.
$(eval $(call unit_test,validation,validation status wipe_alloc plan pki keyalg timefmt config config_store inifile path datastore duration names hex log err sha256))
# A pass whose new CA the store does not take (refused, or a lost
# compare-and-swap) stops: a store wrapper around a real file store.
# Links the whole library: a pass uses most of the engine.
$(eval $(call unit_test,reconcile_store,))
$(BUILD)/tests/test_reconcile_store: $(LIB)
# The host's issuing services of the driver ABI (issue_cert_in, issue_cert).
# Links the whole library: the host services reach the store and the plan.
$(eval $(call unit_test,host,))
$(BUILD)/tests/test_host: $(LIB)
